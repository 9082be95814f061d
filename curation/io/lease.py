"""The lock of an url output, held across machines: a lease file on the store.

A local output folder is locked with a file created exclusively (curation.run.outputs); an
object store has no exclusive create, and two runs on two machines writing one url would push
each other's shards and stage folders. So a run to an url holds a lease on the store:
`<url>/.curation-lock` names its holder (run id, host, pid, command) and when the holder last
renewed it. The holder renews it every `ttl / 4` seconds from a background thread; a lease not
renewed for `ttl` seconds is the lease of a run that died (a killed machine cannot remove its
lease) and is taken over, and so at once is a lease of this host whose process is gone (a
`kill -9`, then `--resume`).

Taking a lease is write-then-read-back: two runs that both found no lease both write theirs,
wait `settle` seconds and read the lease again; the one whose lease is not there gives up. This
closes the race as long as the time between finding no lease and writing one is shorter than
`settle` (stores with read-after-write consistency: S3, GCS, Azure, local files)."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from curation.errors import OutputLockedError

LEASE = ".curation-lock"
TTL_S = 120.0  # a lease not renewed for this long is a dead run's (renewed every 30 s)
SETTLE_S = 1.0


def process_gone(host: object, pid: object) -> bool:
    """True when *pid* on *host* is known to be gone: a process of this host that no longer
    exists (of another host nothing is known)."""
    if host != socket.gethostname() or not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _read(fs: Any, path: str) -> dict[str, Any]:
    try:
        data = json.loads(fs.cat_file(path))
    except (OSError, ValueError):  # FileNotFoundError included: no lease
        return {}
    return data if isinstance(data, dict) else {}


def describe(holder: dict[str, Any]) -> str:
    renewed = holder.get("renewed")
    ago = f"{time.time() - renewed:.0f} s ago" if isinstance(renewed, int | float) else "?"
    return (f"run {holder.get('run', '?')} (pid {holder.get('pid', '?')} on host "
            f"{holder.get('host', '?')}, `{holder.get('command', '?')}`; renewed {ago})")


class Lease:
    """A held lease; `lost` is set when another run took it over (this run stopped renewing
    for longer than the ttl, e.g. a suspended machine): the run must not commit any more."""

    def __init__(self, fs: Any, path: str, command: str, ttl: float) -> None:
        self.fs, self.path, self.ttl = fs, path, ttl
        self.me = {"run": uuid.uuid4().hex, "host": socket.gethostname(), "pid": os.getpid(),
                   "command": command, "started": time.time()}
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _write(self) -> None:
        self.fs.pipe_file(self.path, json.dumps({**self.me, "renewed": time.time()}).encode())

    def ours(self) -> bool:
        return _read(self.fs, self.path).get("run") == self.me["run"]

    def check(self) -> None:
        """Raise when the lease was lost (called before each commit to the store)."""
        if self.lost.is_set() or not self.ours():
            self.lost.set()
            holder = _read(self.fs, self.path)
            raise OutputLockedError(
                f"output {self.path.rsplit('/', 1)[0]}: this run lost its lock to "
                f"{describe(holder) if holder else 'nobody (the lock file is gone)'}; it "
                "stopped before writing more")

    def _renew(self) -> None:
        while not self._stop.wait(self.ttl / 4):
            try:
                if not self.ours():
                    self.lost.set()
                    return
                self._write()
            except OSError:  # a store hiccup: the next renewal tries again
                continue

    def start(self) -> None:
        self._thread = threading.Thread(target=self._renew, name="curation-lease", daemon=True)
        self._thread.start()

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        try:
            if self.ours():
                self.fs.rm_file(self.path)
        except OSError:
            pass  # it expires on its own


@contextmanager
def store_lease(fs: Any, root: str, url: str, command: str, ttl: float = TTL_S,
                settle: float = SETTLE_S) -> Iterator[Lease]:
    """Hold the lease of the output at *root* on *fs* for the block, or fail at once naming
    the run that holds it."""
    path = f"{root}/{LEASE}"
    lease = Lease(fs, path, command, ttl)
    holder = _read(fs, path)
    renewed = holder.get("renewed")
    if (holder and isinstance(renewed, int | float) and time.time() - renewed < ttl
            and not process_gone(holder.get("host"), holder.get("pid"))):
        raise OutputLockedError(
            f"output {url} is in use by {describe(holder)}; wait for it to finish (a lock not "
            f"renewed for {ttl:.0f} s is a dead run's and is taken over; remove "
            f"{url}/{LEASE} only if that run is gone)")
    lease._write()
    time.sleep(settle)
    if not lease.ours():
        raise OutputLockedError(f"output {url} was locked by "
                                f"{describe(_read(fs, path))} at the same moment; try again "
                                "when it has finished")
    lease.start()
    try:
        yield lease
    finally:
        lease.release()
