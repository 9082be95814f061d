"""Segment pages (text dumps or HTML) into a SEGMENT_SCHEMA table."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa

from curation.segment.html import html_blocks, main_container_flags
from curation.segment.text import split_text

_COLUMNS = (
    "segment_id",
    "page_id",
    "position",
    "start",
    "end",
    "text",
    "tag_path",
    "attrs",
    "link_density",
    "in_main",
    "url",
    "domain",
    "lang",
)


def segment_page(page: Mapping[str, Any], max_chars: int = 100_000) -> list[dict[str, Any]]:
    """Segments of one page as dicts. Offsets index the page text: the raw text of a text page,
    or, for an HTML page, its visible text (the segment texts joined by "\\n")."""
    pid = page["page_id"]
    common = {
        "page_id": pid,
        "url": page.get("url"),
        "domain": page.get("domain"),
        "lang": page.get("lang"),
    }
    out: list[dict[str, Any]] = []
    if page.get("format") == "html":
        blocks = html_blocks(page["content"], max_chars)
        flags = main_container_flags(blocks)
        offset = 0
        for i, (b, main) in enumerate(zip(blocks, flags, strict=True)):
            end = offset + len(b.text)
            out.append(
                {
                    "segment_id": f"{pid}:{i}",
                    "position": i,
                    "start": offset,
                    "end": end,
                    "text": b.text,
                    "tag_path": b.tag_path,
                    "attrs": b.attrs,
                    "link_density": b.link_density,
                    "in_main": main,
                    **common,
                }
            )
            offset = end + 1
    else:
        text = page["content"]
        for i, (s, e) in enumerate(split_text(text)):
            out.append(
                {
                    "segment_id": f"{pid}:{i}",
                    "position": i,
                    "start": s,
                    "end": e,
                    "text": text[s:e],
                    "tag_path": None,
                    "attrs": None,
                    "link_density": None,
                    "in_main": None,
                    **common,
                }
            )
    return out


def segments_to_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Column-wise conversion of segment dicts (cheaper than pa.Table.from_pylist)."""
    from curation.io.parquet import conform
    from curation.schema import SEGMENT_SCHEMA

    cols = {name: [r[name] for r in rows] for name in _COLUMNS}
    fields = [SEGMENT_SCHEMA.field(n) for n in _COLUMNS]
    table = pa.Table.from_pydict(cols, schema=pa.schema(fields))
    return conform(table, SEGMENT_SCHEMA)


def segment_pages(pages: Iterable[Mapping[str, Any]], max_chars: int = 100_000) -> pa.Table:
    """Segment many pages into one SEGMENT_SCHEMA table, pages in input order."""
    rows: list[dict[str, Any]] = []
    for page in pages:
        rows.extend(segment_page(page, max_chars))
    return segments_to_table(rows)
