"""Property tests: random bytes, random Unicode (lone surrogates included), random JSONL lines and
random HTML nesting go through ingest and segmentation; no exception escapes, and every input is
a page or a counted skip."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curation.config import InputConfig
from curation.io.readers import iter_pages
from curation.schema import PAGE_SCHEMA
from curation.segment import segment_pages
from curation.stats import Stats

_SETTINGS = settings(max_examples=60, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow])
_SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=())
# built from a list: st.text() drops lone surrogates
_TEXT = st.lists(st.one_of(st.characters(exclude_categories=()), _SURROGATES),
                 max_size=300).map("".join)
_TAGS = ["div", "p", "span", "a", "li", "ul", "table", "td", "script", "b", "section", "img"]


def _ingest(files: dict[str, bytes]) -> tuple[int, Stats]:
    """Write *files*, read them all, segment the pages; returns (pages kept, stats)."""
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in files.items():
            (Path(tmp) / name).write_bytes(data)
        stats = Stats()
        pages = list(iter_pages([tmp], InputConfig(), stats))
        pa.Table.from_pylist(pages, schema=PAGE_SCHEMA)  # storable
        segments = segment_pages(pages)
        assert set(segments.column("page_id").to_pylist()) <= {p["page_id"] for p in pages}
    page_skips = sum(n for key, n in stats.counts.get("ingest", {}).items()
                     if key.startswith("skipped:"))
    assert stats.get("ingest", "pages") == len(pages) + page_skips
    return len(pages), stats


@_SETTINGS
@given(st.binary(max_size=2000), st.binary(max_size=2000))
def test_random_bytes(html: bytes, text: bytes) -> None:
    kept, stats = _ingest({"a.html": html, "b.txt": text})
    assert stats.get("ingest", "pages") == 2


@_SETTINGS
@given(st.lists(st.tuples(st.sampled_from(["text", "html", "url", "id"]), _TEXT), max_size=5))
def test_random_unicode_in_jsonl(fields: list[tuple[str, str]]) -> None:
    lines = [json.dumps({"text": "fixed", key: value}) for key, value in fields]
    _ingest({"p.jsonl": "\n".join(lines).encode("ascii")})


@_SETTINGS
@given(st.lists(st.binary(max_size=200).filter(lambda b: b"\n" not in b), max_size=8))
def test_random_jsonl_lines(lines: list[bytes]) -> None:
    kept, stats = _ingest({"p.jsonl": b"\n".join(lines)})
    assert stats.get("ingest", "pages") == sum(1 for line in lines if line.strip())


@st.composite
def _nested_html(draw: st.DrawFn, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 3))):
        if depth < 6 and draw(st.booleans()):
            tag = draw(st.sampled_from(_TAGS))
            closed = draw(st.booleans())  # unclosed and stray end tags are allowed
            inner = draw(_nested_html(depth + 1))
            parts.append(f"<{tag}>{inner}" + (f"</{tag}>" if closed else ""))
        else:
            parts.append(draw(_TEXT))
    if draw(st.integers(0, 9)) == 0:
        parts.append(f"</{draw(st.sampled_from(_TAGS))}>")
    return "".join(parts)


@_SETTINGS
@given(_nested_html(), st.integers(0, 3000))
def test_random_html_nesting(body: str, deep: int) -> None:
    html = f"<html><body>{'<div>' * deep}{body}</body></html>"
    _ingest({"p.jsonl": json.dumps({"html": html}).encode("ascii")})
