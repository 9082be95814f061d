"""Engines: where a run's parallel phases execute. An engine maps a task over items (shards, or
the parts of a stage folder) and gives back the results in item order; the run opens one engine
for all its phases, so the worker processes start once, forked after the parent's imports, and
serve the shard step, the filter and the publish in turn.

`LocalEngine` runs tasks in this process (1 worker) or in a pool of worker processes that die
with the parent; `curation.ray_engine.RayEngine` runs them as Ray tasks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol, TypeVar

from curation.run.workers import TimedMap, WorkerDiedError, measured, worker_pool

T = TypeVar("T")
R = TypeVar("R")
MAX_POOL_RESTARTS = 2  # a worker that dies (killed, out of memory) costs a new pool this often


class Engine(Protocol):
    """Runs `fn(item)` for every item (fn and items picklable); results in item order.
    *on_done* sees each item and its result as it finishes (in finishing order)."""

    workers: int
    worker_cpu_s: float  # CPU time of the tasks run in other processes, so far
    busiest_worker_cpu_s: float  # per map, the CPU time of its busiest such process, added up
    worker_peak_rss_mb: float | None  # the largest peak memory of those processes
    tasks_wall_s: float  # wall time inside map so far: the rest of a run is its parent alone

    def map(self, fn: Callable[[T], R], items: Sequence[T],
            on_done: Callable[[T, R], None] | None = None) -> list[R]: ...

    def info(self) -> dict[str, Any]: ...

    def close(self) -> None: ...


def run_in_process(fn: Callable[[T], R], items: Sequence[T],
                   on_done: Callable[[T, R], None] | None = None) -> list[R]:
    """The engine of one worker: every task in this process, in order."""
    results = []
    for item in items:
        res = fn(item)
        if on_done is not None:
            on_done(item, res)
        results.append(res)
    return results


class LocalEngine(TimedMap):
    """This process for one worker; a process pool for more. The pool starts at the first
    phase with two tasks or more and serves every later phase."""

    def __init__(self, workers: int, preload: Callable[[], None] | None = None) -> None:
        self.workers = workers
        self.preload = preload  # run in this process before the workers fork from it
        self._pool: ProcessPoolExecutor | None = None
        self.restarts = 0
        self.worker_cpu_s = 0.0
        self.worker_peak_rss_mb: float | None = None
        self.tasks_wall_s = 0.0

    def _map(self, fn: Callable[[T], R], items: Sequence[T],
             on_done: Callable[[T, R], None] | None) -> list[R]:
        if self.workers <= 1 or len(items) <= 1:
            return run_in_process(fn, items, on_done)
        results: dict[int, R] = {}
        for _ in range(MAX_POOL_RESTARTS + 1):
            try:
                self._run_pool(fn, items, on_done, results)
                return [results[i] for i in range(len(items))]
            except BrokenProcessPool:
                # a task commits by renames, so the unfinished ones simply run again
                self._drop_pool()
                self.restarts += 1
        raise WorkerDiedError(
            f"worker processes died {MAX_POOL_RESTARTS + 1} times (killed, or out of memory?); "
            f"{len(results)} of {len(items)} tasks are finished and kept: fix the cause and "
            "rerun with --resume")

    def _run_pool(self, fn: Callable[[T], R], items: Sequence[T],
                  on_done: Callable[[T, R], None] | None, results: dict[int, R]) -> None:
        if self._pool is None:
            self._pool = worker_pool(self.workers, self.preload)
        # at most two tasks a worker in flight: the queue stays short, memory flat
        queue = [i for i in reversed(range(len(items))) if i not in results]
        running: dict[Future[tuple[R, float, int, float]], int] = {}
        while queue or running:
            while queue and len(running) < 2 * self.workers:
                i = queue.pop()
                running[self._pool.submit(measured, fn, items[i])] = i
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in done:
                i = running.pop(fut)
                if isinstance(fut.exception(), BrokenProcessPool):
                    raise BrokenProcessPool(f"a worker died while running task {i}")
                res, cpu_s, pid, rss = fut.result()  # any other error in a task stops the run
                self._count_task(pid, cpu_s)
                self.worker_peak_rss_mb = max(self.worker_peak_rss_mb or 0.0, rss)
                results[i] = res
                if on_done is not None:
                    on_done(items[i], res)

    def info(self) -> dict[str, Any]:
        return {"pool_restarts": self.restarts} if self.workers > 1 else {}

    def _drop_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def close(self) -> None:
        self._drop_pool()


def open_engine(engine: str, workers: int, ray_address: str | None = None,
                preload: Callable[[], None] | None = None) -> Engine:
    """The engine a config names; *preload* loads what local workers need before they fork."""
    if engine == "ray":
        from curation.ray_engine import RayEngine

        return RayEngine(workers, ray_address)
    return LocalEngine(workers, preload)
