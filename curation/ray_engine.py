"""The engine for runs that outgrow one machine (`engine: ray`).

Each task (a shard, or a part of the filter or publish) is one Ray task running the same
function as the process engine: the task reads its inputs and writes and commits its outputs
itself, so only small results (manifest entries, counts) pass through the driver. On a cluster
(`ray_address`) the inputs and the output folder must be on storage every node can reach."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from curation.errors import ConfigError
from curation.run.workers import TimedMap, WorkerDiedError, limit_threads, measured

T = TypeVar("T")
R = TypeVar("R")
# a task whose worker process died (killed, out of memory, its node lost) is run again: a
# shard commits by one rename, so a retry never finds half of it, and it is never kept twice
MAX_RETRIES = 2


def measured_on_one_core(fn: Callable[[T], R], item: T) -> tuple[R, float, int, float]:
    """`measured(fn, item)` in a Ray task: it holds one CPU (num_cpus=1), so its thread pools
    (Arrow's, the model trees' OpenMP) get one thread, as a local worker per core does."""
    limit_threads(1)
    return measured(fn, item)


class RayEngine(TimedMap):
    """Ray tasks on a local Ray (`workers` CPUs) or the cluster at *address*; Ray starts at
    the first phase and stops when the engine closes."""

    def __init__(self, workers: int, address: str | None = None) -> None:
        self.workers, self.address = workers, address
        self._started = False
        self._info: dict[str, Any] = {}
        self.worker_cpu_s = 0.0
        self.worker_peak_rss_mb: float | None = None
        self.tasks_wall_s = 0.0

    def _ray(self) -> Any:
        try:
            import ray
        except ImportError:
            raise ConfigError("engine: ray needs Ray: pip install 'curation[ray]'") from None
        if not ray.is_initialized():
            init: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                    "configure_logging": False, "logging_level": logging.WARNING}
            if self.address:
                init["address"] = self.address
            else:
                init["num_cpus"] = self.workers
            ray.init(**init)
            self._started = True
        if not self._info:
            nodes: list[dict[str, Any]] = ray.nodes()  # type: ignore[no-untyped-call]
            self._info = {"ray_address": ray.get_runtime_context().gcs_address,
                          "ray_nodes": len([n for n in nodes if n.get("Alive")])}
        return ray

    def _map(self, fn: Callable[[T], R], items: Sequence[T],
             on_done: Callable[[T, R], None] | None) -> list[R]:
        if not items:
            return []
        ray = self._ray()
        task = ray.remote(num_cpus=1, max_retries=MAX_RETRIES)(measured_on_one_core)
        fn_ref = ray.put(fn)
        pending = {task.remote(fn_ref, item): i for i, item in enumerate(items)}
        results: dict[int, R] = {}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                i = pending.pop(ref)
                try:
                    results[i], cpu_s, pid, rss = ray.get(ref)
                except (ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError,
                        ray.exceptions.OutOfMemoryError) as exc:
                    for other in pending:
                        ray.cancel(other)
                    raise WorkerDiedError(
                        f"a Ray worker died running task {i} {MAX_RETRIES + 1} times "
                        f"({type(exc).__name__}); {len(results)} of {len(items)} tasks are "
                        "finished and kept: fix the cause and rerun with --resume") from None
                if pid != os.getpid():  # a local Ray may run a task in the driver
                    self._count_task(pid, cpu_s)
                    self.worker_peak_rss_mb = max(self.worker_peak_rss_mb or 0.0, rss)
                if on_done is not None:
                    on_done(items[i], results[i])
        return [results[i] for i in range(len(items))]

    def info(self) -> dict[str, Any]:
        return dict(self._info)

    def close(self) -> None:
        if self._started:
            import ray

            ray.shutdown()
            self._started = False
