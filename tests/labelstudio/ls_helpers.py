"""Sample data and small helpers for the Label Studio tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
from label_studio_sdk import LabelStudio

from curation.io.parquet import ShardWriter
from curation.schema import SEGMENT_SCHEMA

# Three small pages: (text, prelabel, confidence, extra votes) per segment.
PAGES: dict[str, list[tuple[str, str, float, list[tuple[str, str]]]]] = {
    "p1": [("Headline of the story", "article", 0.9, []),
           ("Body of the story, long enough.", "article", 0.8, []),
           ("Buy now, 50% off!", "ad", 0.55, [("links", "teaser")]),
           ("Related: other story", "teaser", 0.7, [])],
    "p2": [("Another headline", "article", 0.95, []),
           ("Photo: the minister. Source: BTA", "caption", 0.9, []),
           ("Most read: something", "teaser", 0.85, [])],
    "p3": [("Log in to comment", "comment_ui", 0.4, [("links", "other")]),
           ("Read more stories", "teaser", 0.6, [])],
}


def write_segments(out: Path, pages: dict[str, list[Any]] | None = None) -> Path:
    """Write SEGMENT_SCHEMA shards for *pages* under out/segments (as `curation run` would)."""
    rows = []
    for pid, segs in (pages or PAGES).items():
        for pos, (text, pre, conf, extra) in enumerate(segs):
            votes = [{"rule": "base", "label": pre}] + [{"rule": r, "label": lab}
                                                        for r, lab in extra]
            rows.append({"segment_id": f"{pid}:{pos}", "page_id": pid, "position": pos,
                         "start": None, "end": None, "text": text,
                         "url": f"https://example.com/{pid}", "domain": "example.com",
                         "lang": "en", "votes": votes, "prelabel": pre, "confidence": conf})
    table = pa.Table.from_pylist(rows, schema=SEGMENT_SCHEMA)
    w = ShardWriter(out / "segments", SEGMENT_SCHEMA, shard_rows=5)
    w.write(table)
    w.close()
    return out / "segments"


def choice(i: int | None, label: str) -> dict[str, Any]:
    """One result item as the UI / an API client sends it (page layout if i is not None)."""
    if i is None:
        return {"from_name": "label", "to_name": "text", "type": "choices",
                "value": {"choices": [label]}}
    return {"from_name": f"label_{i}", "to_name": f"seg_{i}", "type": "choices",
            "value": {"choices": [label]}}


def project_tasks(ls: LabelStudio, project_id: int) -> list[Any]:
    """All tasks of a project, with annotations and predictions."""
    return list(ls.tasks.list(project=project_id, fields="all", page_size=100))


def span(lo: int, hi: int, label: str, origin: str | None = None) -> dict[str, Any]:
    """A paragraphs-layout region over segments lo..hi, as the UI sends it."""
    item: dict[str, Any] = {
        "from_name": "seg_label", "to_name": "page", "type": "paragraphlabels",
        "value": {"start": str(lo), "end": str(hi), "startOffset": 0, "endOffset": 3,
                  "paragraphlabels": [label]}}
    if origin:
        item["origin"] = origin
    return item


def line_run(lo: int, hi: int, label: str, texts: list[str],
             origin: str | None = None) -> dict[str, Any]:
    """A hypertext-layout region over the whole of lines lo..hi (of *texts*), as the UI sends
    it: xpaths of the first and last line's text, offsets in them."""
    item: dict[str, Any] = {
        "from_name": "seg_label", "to_name": "page", "type": "hypertextlabels",
        "value": {"start": f"/p[{lo + 1}]/text()[1]", "end": f"/p[{hi + 1}]/text()[1]",
                  "startOffset": 0, "endOffset": len(texts[hi]), "hypertextlabels": [label]}}
    if origin:
        item["origin"] = origin
    return item
