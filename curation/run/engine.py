"""Running the shards of a plan: in this process, or in a pool of worker processes that read
their inputs and write their shards themselves (the parent only schedules and records)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from curation.config import RunConfig
from curation.errors import CurationError
from curation.run.shards import ShardSpec, Step, run_shard
from curation.run.workers import worker_pool

OnDone = Callable[[ShardSpec, dict[str, Any]], None]
MAX_POOL_RESTARTS = 2  # a worker that dies (killed, out of memory) costs a new pool this often


class WorkerDiedError(CurationError):
    """Worker processes kept dying; the finished shards are kept for --resume."""


def run_local(specs: list[ShardSpec], cfg: RunConfig, root: Path, step: Step,
              on_done: OnDone) -> dict[str, Any]:
    """Run *specs*; *on_done* gets each shard's entry as it commits (in finishing order). When
    a worker dies mid-shard, its unfinished shards run again in a new pool (a shard commits
    by one rename, so none is lost or written twice)."""
    if cfg.workers <= 1 or len(specs) <= 1:
        for spec in specs:
            on_done(spec, run_shard(spec, cfg, str(root), step))
        return {}
    todo = list(specs)
    for restart in range(MAX_POOL_RESTARTS + 1):
        try:
            _run_pool(todo, cfg, root, step, on_done)
            return {"pool_restarts": restart}
        except BrokenProcessPool:
            continue  # on_done removed the committed shards from todo
    raise WorkerDiedError(
        f"worker processes died {MAX_POOL_RESTARTS + 1} times (killed, or out of memory?); "
        f"{len(specs) - len(todo)} of {len(specs)} shards are finished and kept: fix the cause "
        "and rerun with --resume")


def _run_pool(todo: list[ShardSpec], cfg: RunConfig, root: Path, step: Step,
              on_done: OnDone) -> None:
    with worker_pool(cfg.workers) as pool:
        # at most two shards a worker in flight: the queue stays short, memory flat
        queue = list(reversed(todo))
        running: dict[Future[dict[str, Any]], ShardSpec] = {}
        while queue or running:
            while queue and len(running) < 2 * cfg.workers:
                spec = queue.pop()
                running[pool.submit(run_shard, spec, cfg, str(root), step)] = spec
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in done:
                spec = running.pop(fut)
                if isinstance(fut.exception(), BrokenProcessPool):
                    raise BrokenProcessPool(f"a worker died while running shard {spec.id}")
                on_done(spec, fut.result())  # any other error in a shard stops the run
                todo.remove(spec)
