"""A Ray worker killed mid-shard (issue 9, bad input): the task is retried and the dataset is
the one of an undisturbed run, no shard lost or kept twice; a worker that dies on every try
stops the run with a clear error, keeps the finished shards, and --resume completes it.

The kill comes from a real input: a user's rule file (`prelabel.plugins`) that SIGKILLs the
worker process running it when it meets one page, while an "armed" file exists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from curation.config import load_config
from curation.pipeline import run
from curation.run.workers import WorkerDiedError

KILLER = '''
import os
import signal

import numpy as np

from curation import rule

ARMED = {armed!r}  # while this file exists, the worker that meets "Story 7" dies
SPENT = {spent!r}  # left by the first death; with ONCE, later tries live
ONCE = {once!r}


@rule(name="test.kill_worker_{tag}.v1", label="joke", weight=1.0)
def kill_worker(frame):
    if os.path.exists(ARMED) and any("Story 7" in t for t in frame.text.to_pylist()):
        try:
            os.close(os.open(SPENT, os.O_CREAT | os.O_EXCL))
            first = True
        except FileExistsError:
            first = False
        if first or not ONCE:
            os.kill(os.getpid(), signal.SIGKILL)
    return np.zeros(frame.n, dtype=bool)
'''


def _setup(tmp_path: Path, kit: Any, once: bool) -> tuple[Path, Path, Path]:
    """Pages, the killer rule file, and a reference run with it disarmed; returns the
    reference output, the armed file and the spent file."""
    kit.write_pages(tmp_path / "in", range(40))
    armed, spent = tmp_path / "armed", tmp_path / "spent"
    (tmp_path / "killer.py").write_text(
        KILLER.format(armed=str(armed), spent=str(spent), once=once,
                      tag="once" if once else "always"),  # one rule name per file
        encoding="utf-8")
    ref = tmp_path / "ref"
    run(load_config(kit.write_config(tmp_path / "ref.yaml", [str(tmp_path / "in")], ref,
                                     prelabel={"plugins": ["killer.py"]})))
    return ref, armed, spent


def _ray_config(tmp_path: Path, kit: Any) -> Path:
    return kit.write_config(tmp_path / "ray.yaml", [str(tmp_path / "in")], tmp_path / "ray",
                            engine="ray", workers=2, prelabel={"plugins": ["killer.py"]})


def _same(ref: Path, out: Path, kit: Any) -> None:
    for stage in ("pages", "segments", "filtered"):
        assert pq.read_table(out / stage).equals(pq.read_table(ref / stage)), stage
    a, b = kit.dataset_rows(ref), kit.dataset_rows(out)
    assert a.keys() == b.keys() and a
    for split in a:
        assert a[split].equals(b[split]), split


def test_a_ray_worker_killed_mid_shard_is_retried(tmp_path: Path, kit: Any) -> None:
    ref, armed, spent = _setup(tmp_path, kit, once=True)
    armed.touch()
    stats = run(load_config(_ray_config(tmp_path, kit)))
    assert spent.exists()  # a worker died in the middle of a shard
    out = tmp_path / "ray"
    entries = [json.loads(p.read_text()) for p in (out / "_shards").glob("*/_entry.json")]
    assert len(entries) == stats["shards"]["total"] == stats["shards"]["run"]
    assert len({e["id"] for e in entries}) == len(entries)
    assert not list((out / "_shards").glob(".*.tmp-*"))  # the killed try left nothing behind
    _same(ref, out, kit)


def test_a_ray_worker_that_always_dies_stops_the_run_and_resume_finishes_it(
        tmp_path: Path, kit: Any) -> None:
    ref, armed, _ = _setup(tmp_path, kit, once=False)
    armed.touch()
    cfg = _ray_config(tmp_path, kit)
    with pytest.raises(WorkerDiedError, match="--resume"):
        run(load_config(cfg))
    kept = kit.committed_shards(tmp_path / "ray")
    armed.unlink()  # the cause fixed
    stats = run(load_config(cfg), resume=True)
    assert stats["shards"]["reused"] == kept
    assert stats["shards"]["run"] == stats["shards"]["total"] - kept >= 1
    _same(ref, tmp_path / "ray", kit)
