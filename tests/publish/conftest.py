"""Fixtures for publish tests: segment shards on disk, written with ShardWriter."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from curation.io.parquet import ShardWriter
from curation.schema import SEGMENT_SCHEMA

LABELS = ["article", "caption", "ad", "comment_ui", "joke", "teaser", "other"]


def segment_rows(pages: dict[str, tuple[str | None, str, int]]) -> list[dict[str, Any]]:
    """page_id -> (domain, lang, n segments); labels cycle through LABELS."""
    rows = []
    for page_id, (domain, lang, n) in pages.items():
        for pos in range(n):
            label = LABELS[(pos + len(page_id)) % len(LABELS)]
            rows.append({
                "segment_id": f"{page_id}:{pos}", "page_id": page_id, "position": pos,
                "start": pos * 10, "end": pos * 10 + 9, "text": f"{page_id} segment {pos} text",
                "tag_path": "html/body/p", "attrs": "", "link_density": 0.25,
                "url": f"https://{domain}/{page_id}" if domain else None, "domain": domain,
                "lang": lang, "votes": [{"rule": "r.v1", "label": label}], "prelabel": label,
                "confidence": 0.75, "label": label, "label_source": "human" if pos == 0 else "rule",
                "annotators": 2 if pos == 0 else 0, "agreement": 1.0 if pos == 0 else None,
            })
    return rows


def write_segments(folder: Path, rows: list[dict[str, Any]], shard_rows: int = 7) -> Path:
    """Write *rows* as SEGMENT_SCHEMA shards (several, to exercise streaming)."""
    w = ShardWriter(folder, SEGMENT_SCHEMA, shard_rows=shard_rows)
    for i in range(0, len(rows), 5):
        w.write(pa.Table.from_pylist(rows[i:i + 5], schema=SEGMENT_SCHEMA))
    w.close()
    return folder


# five sites (one with two spellings of its domain), one page without a domain
SITES: dict[str, tuple[str | None, str, int]] = {
    "bg1": ("news.bg", "bg", 12), "bg2": ("www.news.bg", "bg", 9), "bg3": ("blitz.bg", "bg", 15),
    "en1": ("example.com", "en", 10), "en2": ("blog.example.org", "en", 6),
    "ru1": ("lenta.ru", "ru", 8), "nodomain": (None, "bg", 4),
}


@pytest.fixture
def sites() -> dict[str, tuple[str | None, str, int]]:
    return dict(SITES)


@pytest.fixture
def make_rows() -> Callable[[dict[str, tuple[str | None, str, int]]], list[dict[str, Any]]]:
    return segment_rows


@pytest.fixture
def write_shards() -> Callable[[Path, list[dict[str, Any]]], Path]:
    return write_segments


@pytest.fixture
def segments_dir(tmp_path: Path) -> Path:
    return write_segments(tmp_path / "filtered", segment_rows(SITES))
