"""The lease that locks an url output across machines (curation.io.lease): one holder at a
time, named to the next; a dead run's lease taken over; a run that lost its lease writes
nothing more; two runs starting together: exactly one gets it."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import fsspec
import pytest

from curation.errors import OutputLockedError
from curation.io.lease import LEASE, store_lease
from curation.io.store import OutputStore


@pytest.fixture()
def store() -> Iterator[tuple[object, str]]:
    fs = fsspec.filesystem("memory")
    root = f"/lease-{uuid.uuid4().hex[:8]}/out"
    fs.makedirs(root, exist_ok=True)
    yield fs, root
    fs.rm(root, recursive=True)


def _holder(fs: object, root: str) -> dict[str, object]:
    return json.loads(fs.cat_file(f"{root}/{LEASE}"))  # type: ignore[attr-defined]


def test_a_held_lease_refuses_a_second_run_and_names_the_first(store) -> None:
    fs, root = store
    with store_lease(fs, root, "memory://x", "curation run", settle=0.01) as first:
        assert _holder(fs, root)["run"] == first.me["run"]
        second = store_lease(fs, root, "memory://x", "curation run", settle=0.01)
        with pytest.raises(OutputLockedError, match=r"in use by run [0-9a-f]{32} \(pid \d+ on "
                                                    r"host .*`curation run`; renewed"), second:
            pass
        assert _holder(fs, root)["run"] == first.me["run"]  # the refused run wrote nothing
    assert not fs.exists(f"{root}/{LEASE}")  # given back
    with store_lease(fs, root, "memory://x", "curation run", settle=0.01):
        pass


def test_a_lease_not_renewed_for_the_ttl_is_a_dead_runs_and_is_taken_over(store) -> None:
    fs, root = store
    dead = {"run": "f" * 32, "host": "gone", "pid": 1, "command": "curation run",
            "renewed": time.time() - 61}
    fs.pipe_file(f"{root}/{LEASE}", json.dumps(dead).encode())
    fresh_enough = store_lease(fs, root, "memory://x", "curation run", ttl=120, settle=0.01)
    with pytest.raises(OutputLockedError, match="host gone"), fresh_enough:
        pass
    with store_lease(fs, root, "memory://x", "curation run", ttl=60, settle=0.01) as lease:
        assert _holder(fs, root)["run"] == lease.me["run"]


def test_the_holder_renews_and_a_run_that_lost_its_lease_writes_nothing_more(
        store, tmp_path: Path) -> None:
    fs, root = store
    out = OutputStore(f"memory://{root}")
    local = tmp_path / "folder"
    local.mkdir()
    (local / "a.txt").write_text("a")
    with out.lease("curation run", ttl=0.4, settle=0.01):  # renewed every 0.1 s
        first = _holder(fs, root)["renewed"]
        time.sleep(0.35)
        assert _holder(fs, root)["renewed"] > first
        out.put_text("stats.json", "{}")  # held: writes go through
        other = {"run": "e" * 32, "host": "elsewhere", "pid": 2, "command": "curation run",
                 "renewed": time.time()}
        fs.pipe_file(f"{root}/{LEASE}", json.dumps(other).encode())  # taken over
        with pytest.raises(OutputLockedError, match="lost its lock to run e+ .*elsewhere"):
            out.replace_folder(local, "dataset")
        assert not fs.exists(f"{root}/dataset")
        with pytest.raises(OutputLockedError):
            out.put_text("stats.json", "{}")
    assert _holder(fs, root)["host"] == "elsewhere"  # not removed: it is not ours
    assert out.held is None


def test_two_runs_starting_at_once_get_one_lease(store) -> None:
    fs, root = store
    barrier = threading.Barrier(2)
    won: list[str] = []
    refused: list[str] = []
    release = threading.Event()

    def start(name: str) -> None:
        barrier.wait()
        try:
            with store_lease(fs, root, "memory://x", name, settle=0.3):
                won.append(name)
                release.wait(5)
        except OutputLockedError:
            refused.append(name)

    threads = [threading.Thread(target=start, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    time.sleep(1.0)
    release.set()
    for t in threads:
        t.join()
    assert len(won) == 1 and len(refused) == 1


def test_a_lease_of_this_host_whose_process_is_gone_is_taken_over_at_once(store) -> None:
    import socket
    import subprocess
    import sys

    fs, root = store
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    killed = {"run": "d" * 32, "host": socket.gethostname(), "pid": int(gone.stdout),
              "command": "curation run", "renewed": time.time()}  # a kill -9 a moment ago
    fs.pipe_file(f"{root}/{LEASE}", json.dumps(killed).encode())
    with store_lease(fs, root, "memory://x", "curation run", settle=0.01) as lease:
        assert _holder(fs, root)["run"] == lease.me["run"]
