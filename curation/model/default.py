"""The default cleaner shipped in the package (curation/defaults/models/): which gold it is
trained on and the published command that trains it, so a test can check that the packaged
file is what that command produces from the shared data (training is deterministic)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from curation.defaults import MODEL_FILE

# every shared gold file (a page held by several is used once, with its fullest annotation)
GOLD_FILES = ("gold-dev.jsonl.gz", "gold-taxonomy-dev.jsonl.gz", "gold-seed.jsonl")
OUT = f"curation/defaults/{MODEL_FILE}"


def training_command(shared_data: str = "../shared/data") -> str:
    """The command (run from the project root, built-in config) that makes the default."""
    gold = " ".join(f"--gold {shared_data}/{name}" for name in GOLD_FILES)
    return f"curation train {gold} --out {OUT}"


def train_default(shared_data: Path, out: Path) -> dict[str, Any]:
    """What `training_command()` does: train on the shared gold with the built-in config."""
    from curation.config import load_config
    from curation.model.run import train

    return train(load_config(), out, [Path(shared_data) / name for name in GOLD_FILES])
