"""Atomic outputs: write under a temporary name, then rename, so a crash never leaves a
half-written file or folder that looks whole. Folders written here carry a done marker
(`_SUCCESS`); a folder without one was not made by curation and is never replaced."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from curation.errors import OutputExistsError

DONE_MARKER = "_SUCCESS"
STALE_MARKER = "_STALE"  # a finished output that a newer, unfinished run has made out of date


def atomic_write_text(path: Path, text: str) -> None:
    """Write *text* to *path* through a temporary file in the same folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def is_complete(folder: Path) -> bool:
    """True when *folder* was finished by `atomic_dir` (it holds the done marker)."""
    return (folder / DONE_MARKER).is_file()


def is_ours(folder: Path) -> bool:
    """True when curation made *folder*: finished, or finished and since marked stale."""
    return is_complete(folder) or (folder / STALE_MARKER).is_file()


def read_marker(folder: Path) -> dict[str, object]:
    try:
        return json.loads((folder / DONE_MARKER).read_text(encoding="utf-8"))  # type: ignore[no-any-return]
    except (OSError, ValueError):
        return {}


def mark_stale(folder: Path, reason: str) -> None:
    """Turn a finished output into a marked stale one (its done marker becomes `_STALE`, with
    *reason*), so that nothing outdated looks whole and current while a new run works."""
    if not is_complete(folder):
        return
    note = {**read_marker(folder), "stale": reason, "since": time.time()}
    atomic_write_text(folder / STALE_MARKER, json.dumps(note))
    (folder / DONE_MARKER).unlink(missing_ok=True)


def prepare_output(folder: Path, overwrite: bool) -> None:
    """Refuse to replace an existing output unless *overwrite*, and refuse always when curation
    did not make it (a user's folder is never deleted); clear stale temporaries."""
    if folder.exists():
        if not folder.is_dir() or not is_ours(folder):
            raise OutputExistsError(
                f"{folder} exists and was not written by curation (no {DONE_MARKER} marker); "
                "refusing to replace it: move it away or choose another output folder")
        if not overwrite:
            raise OutputExistsError(f"{folder} exists; pass --overwrite to replace it "
                                    "(or --resume to keep finished stages)")
    for pattern in (f".{folder.name}.tmp-*", f".{folder.name}.old-*"):
        for stale in folder.parent.glob(pattern):
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
