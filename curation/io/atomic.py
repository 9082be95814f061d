"""Atomic outputs: write under a temporary name, then rename, so a crash never leaves a
half-written file or folder that looks whole."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from curation.errors import OutputExistsError

DONE_MARKER = "_SUCCESS"


def atomic_write_text(path: Path, text: str) -> None:
    """Write *text* to *path* through a temporary file in the same folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def is_complete(folder: Path) -> bool:
    """True when *folder* was finished by `atomic_dir` (it holds the done marker)."""
    return (folder / DONE_MARKER).is_file()


def read_marker(folder: Path) -> dict[str, object]:
    try:
        return json.loads((folder / DONE_MARKER).read_text(encoding="utf-8"))  # type: ignore[no-any-return]
    except (OSError, ValueError):
        return {}


def prepare_output(folder: Path, overwrite: bool) -> None:
    """Refuse to replace an existing output unless *overwrite*; clear stale temporaries."""
    if folder.exists() and not overwrite:
        raise OutputExistsError(
            f"{folder} exists; pass --overwrite to replace it (or --resume to keep finished stages)"
        )
    for stale in folder.parent.glob(f".{folder.name}.tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)


@contextmanager
def atomic_dir(folder: Path, marker: dict[str, object] | None = None) -> Iterator[Path]:
    """Yield a temporary folder; on success it replaces *folder* (with a done marker)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.with_name(f".{folder.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        yield tmp
        (tmp / DONE_MARKER).write_text(json.dumps(marker or {}), encoding="utf-8")
        if folder.exists():
            old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
            os.replace(folder, old)
            os.replace(tmp, folder)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
