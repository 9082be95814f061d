"""HTML pages reach the walk as the UTF-8 bytes Arrow holds (no str made and encoded again):
the same blocks as from text, and the other fields as to_pylist gives them."""

from __future__ import annotations

from dataclasses import astuple
from pathlib import Path

import pyarrow as pa

from curation.io.decode import decode_bytes
from curation.io.readers import builtin_samples
from curation.schema import PAGE_SCHEMA
from curation.segment.html import html_block_columns
from curation.segment.pages import page_dicts


def test_bytes_and_text_give_the_same_blocks() -> None:
    pages = [decode_bytes(p.read_bytes()) for p in sorted(Path(builtin_samples()).glob("*.html"))]
    deep = "<p>café</p>" + "<div>" * 2500 + "日本 \U0001f600" + "</div>" * 2500  # flattened
    assert pages
    for html in [*pages, deep, "", "<p>a</p> tail"]:
        assert astuple(html_block_columns(html.encode())) == astuple(html_block_columns(html))
    assert html_block_columns(deep.encode()).flattened == 3000


def test_page_dicts_hold_html_as_bytes_and_text_as_str() -> None:
    rows = [{"page_id": "a", "format": "html", "content": "<p>café</p>", "url": "https://x.org/"},
            {"page_id": "b", "format": "text", "content": "naïve text"},
            {"page_id": "c", "format": "html", "content": None}]
    batch = pa.RecordBatch.from_pylist(rows, schema=PAGE_SCHEMA)
    got, want = page_dicts(batch), batch.to_pylist()
    assert [g["content"] for g in got] == ["<p>café</p>".encode(), "naïve text", None]
    for g, w in zip(got, want, strict=True):
        assert {k: v for k, v in g.items() if k != "content"} == {
            k: v for k, v in w.items() if k != "content"}
    other = pa.table({"format": ["html"], "content": pa.array([b"<p>x</p>"], pa.binary())})
    assert page_dicts(other) == other.to_pylist()  # not a string column: as to_pylist gives it
