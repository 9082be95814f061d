"""Worker processes that die with their parent: a killed `curation run --workers N` must not
leave N workers running on their own. Tasks run in them report their own CPU time and memory."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import multiprocessing
import os
import signal
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

import pyarrow as pa

from curation.errors import CurationError
from curation.run.progress import peak_rss_mb

PR_SET_PDEATHSIG = 1  # linux/prctl.h
T = TypeVar("T")
R = TypeVar("R")


class TimedMap(ABC):
    """An engine's `map` over its own `_map`, adding the wall time spent inside to
    `tasks_wall_s` (stats: the rest of a run's wall is its parent alone), and the CPU time of
    the tasks run in other processes (`_count_task`) to `worker_cpu_s` and, per map, that of
    the busiest process to `busiest_worker_cpu_s`: the phases' length with a core per worker,
    a figure that load from other programs does not stretch."""

    tasks_wall_s: float = 0.0
    worker_cpu_s: float = 0.0
    busiest_worker_cpu_s: float = 0.0

    def map(self, fn: Callable[[T], R], items: Sequence[T],
            on_done: Callable[[T, R], None] | None = None) -> list[R]:
        start = time.perf_counter()
        self._cpu_by_process: dict[int, float] = {}
        try:
            return self._map(fn, items, on_done)
        finally:
            self.tasks_wall_s += time.perf_counter() - start
            self.busiest_worker_cpu_s += max(self._cpu_by_process.values(), default=0.0)

    def _count_task(self, pid: int, cpu_s: float) -> None:
        """A task of the current map ran in process *pid* for *cpu_s* CPU-seconds."""
        self.worker_cpu_s += cpu_s
        self._cpu_by_process[pid] = self._cpu_by_process.get(pid, 0.0) + cpu_s

    @abstractmethod
    def _map(self, fn: Callable[[T], R], items: Sequence[T],
             on_done: Callable[[T, R], None] | None) -> list[R]:
        """Run *fn* over *items* on the engine's workers, results in item order."""


class WorkerDiedError(CurationError):
    """Worker processes (or Ray workers) kept dying; the finished shards are kept for
    --resume."""


def _set_parent_death_signal() -> bool:
    """Ask Linux to SIGKILL this process when its parent dies; False where that is unavailable."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return bool(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int, every_s: float = 1.0) -> None:
    while os.getppid() == parent:
        time.sleep(every_s)
    os._exit(1)


def die_with_parent(parent: int) -> None:
    """Worker initializer: exit as soon as *parent* is gone (prctl on Linux, else a watchdog
    thread that polls the parent pid)."""
    if not _set_parent_death_signal():
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)


def usable_cores() -> int:
    """The cores this process may run on (its affinity, where the platform tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def limit_threads(threads: int) -> None:
    """Give this process's thread pools *threads* threads: Arrow's (Parquet decoding) and the
    native ones scikit-learn's trees and BLAS use (OpenMP: those already loaded through
    threadpoolctl, those loaded later through OMP_NUM_THREADS)."""
    from threadpoolctl import threadpool_limits

    pa.set_cpu_count(threads)
    os.environ["OMP_NUM_THREADS"] = str(threads)
    threadpool_limits(threads)


def start_worker(parent: int, threads: int) -> None:
    """Worker initializer: die with *parent*, and give its thread pools (Arrow's, OpenMP's)
    *threads* threads: with a worker per core, each worker's own pool of a thread per core
    only makes the workers' threads take turns on the cores (measured: 12 % more CPU time to
    read and write the segment files of 2,000 pages with 2 threads than with 1; the model's
    trees used ~1.5 cores in one worker)."""
    die_with_parent(parent)
    limit_threads(threads)


def _import_before_fork(preload: Callable[[], None] | None) -> None:
    """pyarrow imports pandas at its first conversion of Python objects (~0.4 CPU-s, every
    process that converts: the parent and each worker). Done once here, before the fork, the
    workers inherit it and the parent does not pay it later on its own; so is *preload* (a
    model every worker needs, loaded once instead of once per worker)."""
    pa.array([], pa.string())
    if preload is not None:
        preload()
    # what the parent built lives as long as the workers: their collections skip it
    gc.freeze()


def worker_pool(workers: int, preload: Callable[[], None] | None = None) -> ProcessPoolExecutor:
    """A process pool whose workers die with this process. Forked where available (workers
    start fast and share the code and the *preload*ed models the parent loaded)."""
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    if method == "fork":
        _import_before_fork(preload)
    threads = max(1, usable_cores() // workers)  # the cores each worker has
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method),
                               initializer=start_worker, initargs=(os.getpid(), threads))


def measured(fn: Callable[[T], R], item: T) -> tuple[R, float, int, float]:
    """fn(item) with the CPU time it took, the process that ran it and its peak memory (a
    task in a worker reports what its engine cannot see)."""
    cpu0 = time.process_time()
    res = fn(item)
    return res, time.process_time() - cpu0, os.getpid(), peak_rss_mb()
