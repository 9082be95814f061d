"""Running the shards of a plan: in this process, or in a pool of worker processes that read
their inputs and write their shards themselves (the parent only schedules and records)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from pathlib import Path
from typing import Any

from curation.config import RunConfig
from curation.run.shards import ShardSpec, Step, run_shard
from curation.run.workers import worker_pool

OnDone = Callable[[ShardSpec, dict[str, Any]], None]


def run_local(specs: list[ShardSpec], cfg: RunConfig, root: Path, step: Step,
              on_done: OnDone) -> dict[str, Any]:
    """Run *specs*; *on_done* gets each shard's entry as it commits (in finishing order)."""
    if cfg.workers <= 1 or len(specs) <= 1:
        for spec in specs:
            on_done(spec, run_shard(spec, cfg, str(root), step))
        return {}
    with worker_pool(cfg.workers) as pool:
        # at most two shards a worker in flight: the queue stays short, memory flat
        queue = list(reversed(specs))
        running: dict[Future[dict[str, Any]], ShardSpec] = {}
        while queue or running:
            while queue and len(running) < 2 * cfg.workers:
                spec = queue.pop()
                running[pool.submit(run_shard, spec, cfg, str(root), step)] = spec
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in done:
                on_done(running.pop(fut), fut.result())
    return {}
