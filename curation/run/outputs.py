"""The output folder of a run: claimed with a marker (curation touches only folders it made),
locked while a run writes it (the lock says who holds it), kept out of the run's own inputs."""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from curation.errors import OutputExistsError, OutputLockedError
from curation.io.atomic import atomic_write_text, is_ours
from curation.io.lease import process_gone
from curation.version import __version__

ROOT_MARKER = ".curation-output"
LOCK_FILE = ".curation.lock"
# what `curation run` writes at the top of its output folder (everything else is left alone)
STAGE_FOLDERS = ("pages", "segmented", "segments", "near_duplicates", "filtered", "rejects",
                 "dataset", "_shards")
RUN_FILES = ("stats.json", "run_config.yaml")


def claim_output(out: Path) -> None:
    """Make *out* a curation output folder, or refuse when it holds outputs someone else wrote.

    A new or empty folder gets the marker. An existing folder without it is taken only when every
    entry curation would write there is a finished curation stage folder; a user's own
    `stats.json` or `dataset/` is never overwritten."""
    marker = out / ROOT_MARKER
    if marker.is_file():
        return
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"output {out} is a file; give a folder")
    if out.exists():
        foreign = [name for name in STAGE_FOLDERS if (out / name).exists()
                   and not is_ours(out / name)]
        foreign += [name for name in RUN_FILES if (out / name).exists()]
        if foreign:
            raise OutputExistsError(
                f"output folder {out} holds {', '.join(sorted(foreign))}, which curation did not "
                f"write (no {ROOT_MARKER} marker); choose another output folder")
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(marker, json.dumps({"made_by": "curation", "version": __version__,
                                          "created": time.time()}))


def _holder(lock: Path) -> dict[str, object]:
    try:
        data = json.loads(lock.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _describe(holder: dict[str, object]) -> str:
    started = holder.get("started")
    when = (time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(started))
            if isinstance(started, int | float) else "an unknown time")
    return (f"pid {holder.get('pid', '?')} on host {holder.get('host', '?')} "
            f"(`{holder.get('command', '?')}`) since {when}")


def _is_stale(holder: dict[str, object]) -> bool:
    """A lock left by a process of this host that is gone (killed, crashed)."""
    return process_gone(holder.get("host"), holder.get("pid"))


@contextmanager
def output_lock(out: Path, command: str = "run") -> Iterator[None]:
    """Hold *out*'s lock for the block. A second run on the same folder fails at once and names
    the holder; the lock of a dead process on this host is taken over."""
    out.mkdir(parents=True, exist_ok=True)
    lock = out / LOCK_FILE
    me = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time(),
          "command": command}
    for _ in range(3):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _holder(lock)
            if holder.get("pid") == os.getpid() and holder.get("host") == me["host"]:
                yield  # this process holds it already (a stage inside a run)
                return
            if holder and not _is_stale(holder):
                raise OutputLockedError(
                    f"output folder {out} is in use by {_describe(holder)}; wait for it to "
                    f"finish (a lock left by a dead process on this host is taken over; "
                    f"remove {lock} only if that process is gone)") from None
            if not holder and time.time() - lock.stat().st_mtime < 5:
                time.sleep(0.2)  # being written by its owner right now
                continue
            lock.unlink(missing_ok=True)  # stale: its process is gone
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(me, fh)
        break
    else:
        raise OutputLockedError(f"could not take the lock {lock}; is another run starting?")
    try:
        yield
    finally:
        if _holder(lock).get("pid") == os.getpid():
            lock.unlink(missing_ok=True)


def inside(path: Path, folder: Path) -> bool:
    """True when *path* is *folder* or lies under it (after resolving links)."""
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True
