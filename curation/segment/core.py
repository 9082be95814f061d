"""Segment pages (text dumps or HTML) into a SEGMENT_SCHEMA table, column by column."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curation.segment.html import html_block_columns
from curation.segment.text import split_text

_PAGE_FIELDS = ("page_id", "url", "domain", "lang")


class SegmentColumns:
    """Accumulates the segments of many pages as columns; `table()` builds the Arrow table.

    Page-level values are kept once per page and spread over its segments at the end; segment
    ids are joined in Arrow. Offsets index the page text: the raw text of a text page, or, for
    an HTML page, its visible text (the segment texts joined by "\\n")."""

    def __init__(self, max_chars: int = 100_000) -> None:
        self.max_chars = max_chars
        self.truncated = 0  # segments cut to max_chars (the rest of the block is dropped)
        self.flattened = 0  # HTML tags dropped for nesting over a thousand deep
        self.pages: dict[str, list[Any]] = {k: [] for k in _PAGE_FIELDS}
        self.counts: list[int] = []
        self.text: list[str] = []
        self.start: list[int] = []
        self.end: list[int] = []
        self.tag_path: list[str | None] = []
        self.attrs: list[str | None] = []
        self.link_density: list[float | None] = []
        self.in_main: list[bool | None] = []
        self.after_image: list[bool | None] = []
        self.link_kind: list[str | None] = []

    def add(self, page: Mapping[str, Any]) -> list[str]:
        """Segment one page; returns its segment texts (for language identification)."""
        for k in _PAGE_FIELDS:
            self.pages[k].append(page.get(k))
        if page.get("format") == "html":
            c = html_block_columns(page["content"], self.max_chars)
            self.truncated += c.truncated
            self.flattened += c.flattened
            texts = c.text
            ends = np.cumsum([len(t) + 1 for t in texts], dtype=np.int64) - 1
            self.start.extend((ends - [len(t) for t in texts]).tolist())
            self.end.extend(ends.tolist())
            self.tag_path.extend(c.tag_path)
            self.attrs.extend(c.attrs)
            self.link_density.extend(c.link_density)
            self.in_main.extend(c.in_main)
            self.after_image.extend(c.after_image)
            self.link_kind.extend(c.link_kind)
        else:
            raw = page["content"]
            spans = split_text(raw)
            if any(e - s > self.max_chars for s, e in spans):
                self.truncated += sum(e - s > self.max_chars for s, e in spans)
                spans = [(s, min(e, s + self.max_chars)) for s, e in spans]
            texts = [raw[s:e] for s, e in spans]
            self.start.extend(s for s, _ in spans)
            self.end.extend(e for _, e in spans)
            none = [None] * len(spans)
            self.tag_path.extend(none)
            self.attrs.extend(none)
            self.link_density.extend(none)
            self.in_main.extend(none)
            self.after_image.extend(none)
            self.link_kind.extend(none)
        self.text.extend(texts)
        self.counts.append(len(texts))
        return texts

    def set_last_lang(self, lang: str | None) -> None:
        self.pages["lang"][-1] = lang

    def table(self) -> pa.Table:
        from curation.io.parquet import conform
        from curation.schema import SEGMENT_SCHEMA

        counts = np.asarray(self.counts, dtype=np.int64)
        owner = pa.array(np.repeat(np.arange(len(counts)), counts))
        starts = np.repeat(np.cumsum(counts) - counts, counts)
        position = pa.array((np.arange(int(counts.sum())) - starts).astype(np.int32))
        cols: dict[str, Any] = {
            k: pa.array(v, SEGMENT_SCHEMA.field(k).type).take(owner)
            for k, v in self.pages.items()
        }
        cols["segment_id"] = pc.binary_join_element_wise(
            cols["page_id"], pc.cast(position, pa.string()), ":")
        cols["position"] = position
        for name in ("text", "start", "end", "tag_path", "attrs", "link_density", "in_main",
                     "after_image", "link_kind"):
            cols[name] = pa.array(getattr(self, name), SEGMENT_SCHEMA.field(name).type)
        return conform(pa.table(cols), SEGMENT_SCHEMA)


def segment_page(page: Mapping[str, Any], max_chars: int = 100_000) -> list[dict[str, Any]]:
    """Segments of one page as dicts (SEGMENT_SCHEMA fields, no labels)."""
    cols = SegmentColumns(max_chars)
    cols.add(page)
    return [{k: v for k, v in row.items() if k in _ROW_FIELDS} for row in cols.table().to_pylist()]


_ROW_FIELDS = ("segment_id", "page_id", "position", "start", "end", "text", "tag_path", "attrs",
               "link_density", "in_main", "after_image", "link_kind", "url", "domain", "lang")


def segment_pages(pages: Iterable[Mapping[str, Any]], max_chars: int = 100_000) -> pa.Table:
    """Segment many pages into one SEGMENT_SCHEMA table, pages in input order."""
    cols = SegmentColumns(max_chars)
    for page in pages:
        cols.add(page)
    return cols.table()
