"""Fixtures for filter tests: SEGMENT_SCHEMA tables built from a few dicts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pytest

from curation.schema import SEGMENT_SCHEMA

MakeSegments = Callable[[list[dict[str, Any]]], pa.Table]


def build_segments(rows: list[dict[str, Any]]) -> pa.Table:
    """A SEGMENT_SCHEMA table; missing fields get plausible defaults."""
    full = []
    for i, row in enumerate(rows):
        page_id = row.get("page_id", "p0")
        position = row.get("position", i)
        label = row.get("label", "article")
        base: dict[str, Any] = {
            "segment_id": f"{page_id}:{position}", "page_id": page_id, "position": position,
            "start": 0, "end": 0, "text": "x" * 50, "tag_path": "p", "attrs": "",
            "link_density": 0.0, "url": f"https://{row.get('domain', 'a.com')}/{page_id}",
            "domain": "a.com", "lang": "en", "votes": [{"rule": "r.v1", "label": label}],
            "prelabel": label, "confidence": 0.9, "label": label, "label_source": "rule",
            "annotators": 0, "agreement": None,
        }
        base.update(row)
        full.append(base)
    return pa.Table.from_pylist(full, schema=SEGMENT_SCHEMA)


@pytest.fixture
def make_segments() -> MakeSegments:
    return build_segments
