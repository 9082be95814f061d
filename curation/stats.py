"""Run statistics: counts per stage and reason, and every skipped input with its reason."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

MAX_LISTED_SKIPS = 10_000  # beyond this, skips are still counted but not listed one by one


class Stats:
    """Counters per stage; `skip()` records a bad record with where it came from and why."""

    def __init__(self) -> None:
        self.counts: dict[str, Counter[str]] = {}
        self.skipped: list[dict[str, str]] = []
        self.notes: dict[str, Any] = {}

    def add(self, stage: str, key: str, n: int = 1) -> None:
        self.counts.setdefault(stage, Counter())[key] += n

    def skip(self, stage: str, reason: str, source: str, detail: str = "") -> None:
        self.add(stage, f"skipped:{reason}")
        if len(self.skipped) < MAX_LISTED_SKIPS:
            self.skipped.append(
                {"stage": stage, "reason": reason, "source": source, "detail": detail}
            )

    def merge(self, other: Stats) -> None:
        for stage, c in other.counts.items():
            self.counts.setdefault(stage, Counter()).update(c)
        room = MAX_LISTED_SKIPS - len(self.skipped)
        self.skipped.extend(other.skipped[: max(room, 0)])
        self.notes.update(other.notes)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Stats:
        """The inverse of `to_dict` (counts, skips and notes)."""
        stats = cls()
        for stage, counts in data.get("counts", {}).items():
            stats.counts[stage] = Counter(counts)
        stats.skipped = list(data.get("skipped", []))[:MAX_LISTED_SKIPS]
        stats.notes = {k: v for k, v in data.items() if k not in ("counts", "skipped")}
        return stats

    def get(self, stage: str, key: str) -> int:
        return self.counts.get(stage, Counter()).get(key, 0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "counts": {s: dict(sorted(c.items())) for s, c in self.counts.items()},
            "skipped": self.skipped,
            **self.notes,
        }

    def write(self, path: Path) -> None:
        from curation.io.atomic import atomic_write_text

        atomic_write_text(path, json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n")
