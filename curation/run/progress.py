"""Progress people can follow: a bar with total and rate on a terminal, a log line every few
seconds (pages, pages/s, ETA) when output goes to a file; and per-stage timings for stats.json."""

from __future__ import annotations

import resource
import sys
import time
from typing import Any, TextIO

from tqdm import tqdm

LOG_EVERY_S = 10.0


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(rss / (1 << 20) if sys.platform == "darwin" else rss / 1024, 1)


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


class Progress:
    """Shards done out of a known total; the rate is in pages/s and the ETA comes from input
    bytes done, so big and small shards weigh what they cost."""

    def __init__(self, desc: str, shards: int, total_bytes: int, stream: TextIO | None = None,
                 log_every_s: float = LOG_EVERY_S, terminal: bool | None = None) -> None:
        self.desc, self.shards, self.total_bytes = desc, shards, max(total_bytes, 1)
        self.stream = stream if stream is not None else sys.stderr
        self.log_every_s = log_every_s
        self.terminal = self.stream.isatty() if terminal is None else terminal
        self.pages = self.done = self.bytes = 0
        self.start = self._last_log = time.monotonic()
        self._bar: Any = None
        if self.terminal:
            self._bar = tqdm(total=shards, desc=desc, unit=" shard", file=self.stream,
                             leave=False, mininterval=0.5)

    def rate(self) -> float:
        return self.pages / max(time.monotonic() - self.start, 1e-9)

    def eta_s(self) -> float | None:
        if not self.bytes:
            return None
        elapsed = time.monotonic() - self.start
        return elapsed * (self.total_bytes - self.bytes) / self.bytes

    def update(self, pages: int, nbytes: int) -> None:
        """One more shard finished with *pages* pages from *nbytes* input bytes."""
        self.done += 1
        self.pages += pages
        self.bytes += nbytes
        if self._bar is not None:
            self._bar.set_postfix_str(f"{self.pages} pages, {self.rate():.0f} pages/s",
                                      refresh=False)
            self._bar.update(1)
            if self.done == self.shards:
                self._bar.refresh()  # the final count, even within the refresh interval
        elif time.monotonic() - self._last_log >= self.log_every_s or self.done == self.shards:
            self._last_log = time.monotonic()
            self.stream.write(self.line() + "\n")
            self.stream.flush()

    def line(self) -> str:
        eta = self.eta_s()
        return (f"{self.desc}: {self.pages} pages, {self.rate():.1f} pages/s, "
                f"{self.done}/{self.shards} shards, "
                f"ETA {_clock(eta) if eta is not None else '?'}")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


class StageClock:
    """Wall and CPU time of one stage in this process (workers report their own CPU)."""

    def __init__(self) -> None:
        self.wall0, self.cpu0 = time.perf_counter(), time.process_time()

    def timing(self, pages: int, extra_cpu_s: float = 0.0, **more: Any) -> dict[str, Any]:
        wall = time.perf_counter() - self.wall0
        return {"wall_s": round(wall, 3),
                "cpu_s": round(time.process_time() - self.cpu0 + extra_cpu_s, 3),
                "pages_per_s": round(pages / wall, 1) if wall > 0 else None,
                "peak_rss_mb": peak_rss_mb(), **more}
