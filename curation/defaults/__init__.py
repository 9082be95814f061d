"""The defaults shipped inside the package: cue words per language, the confidence calibration
and (when one is packaged) a trained cleaner. A config names them as `builtin:<name>`
(`builtin:cues`, `builtin:calibration.yaml`); its own paths may name the user's files instead.

Imports nothing from the package, so every layer may use it."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

BUILTIN = "builtin:"
MODEL_FILE = "models/cleaner.model"  # the packaged trained cleaner (curation/model/store.py)


def packaged(name: str) -> Path:
    """The path of a file or folder under curation/defaults/ (which need not exist)."""
    # the package is installed as plain files (wheel or editable), never zipped, so the
    # Traversable is a real path that readers given a str or Path can open
    return Path(str(files(__name__).joinpath(name)))


def builtin_path(value: str) -> Path | None:
    """The packaged path a `builtin:<name>` config value names; None for any other value."""
    if not value.startswith(BUILTIN):
        return None
    return packaged(value.removeprefix(BUILTIN))


def default_model_path() -> Path | None:
    """The packaged trained cleaner, or None when this install ships none (rules only)."""
    path = packaged(MODEL_FILE)
    return path if path.is_file() else None


def source_checkout() -> Path | None:
    """The project root when the package runs from its source tree (an editable install)."""
    root = packaged("").parents[1]
    return root if (root / "pyproject.toml").is_file() else None
