"""JSONL lines go through orjson where it reads them as json.loads would, else json.loads:
every kind of line gives the same page (or the same skip) either way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from curation.config import InputConfig
from curation.io.readers import _fast_json, _from_row, _jsonl_record, iter_pages
from curation.stats import Stats

LINES = [
    b'{"id": "p1", "url": "https://a.example/x", "html": "<p>caf\xc3\xa9</p>", "lang": "fr"}',
    b'{"id": 7, "text": "an integer id"}',
    b'{"id": 123456789012345678901234567890, "text": "an id past 64 bits"}',
    b'{"page_id": 1.5, "text": "a float id"}',
    b'{"id": "dup", "id": "last", "text": "duplicate keys: the last wins"}',
    b'{"text": "a lone surrogate \\ud800 escaped"}',
    b'{"text": "a NUL \\u0000 escaped"}',
    b'{"text": "x", "score": NaN}',
    b'{"text": "x", "score": 1e400}',
]


@pytest.mark.parametrize("line", LINES)
def test_same_page_as_json_loads(line: bytes) -> None:
    got = _jsonl_record(line, "f.jsonl:1", Stats())
    want = _from_row(json.loads(line.decode("utf-8")), "f.jsonl:1", Stats())
    assert want is not None and got is not None
    want.clean = b"\\ud800" not in line and b"\\u0000" not in line
    assert got == want


def test_orjson_reads_the_common_line() -> None:
    assert _fast_json(LINES[0]) == json.loads(LINES[0].decode("utf-8"))


@pytest.mark.parametrize("line", [LINES[2], LINES[5], LINES[7], LINES[8], b"\xff{}"])
def test_json_loads_decides_what_orjson_would_read_otherwise(line: bytes) -> None:
    assert _fast_json(line) is None


@pytest.mark.parametrize("line", [b"{not json", b"[1, 2]", b"null", b"\xef\xbb\xbf{}"])
def test_bad_lines_are_counted_skips(line: bytes) -> None:
    stats = Stats()
    assert _jsonl_record(line, "f.jsonl:3", stats) is None
    assert "bad_json" in json.dumps(stats.to_dict())


def test_lines_longer_than_the_read_buffer(tmp_path: Path) -> None:
    """Local JSONL files are read through a 1 MB buffer: a page longer than it comes whole, and
    a line over the line limit (6 x max_bytes) is drained, the next line read as it is."""
    big, huge = "word " * 300_000, "x" * 13_000_000  # 1.5 MB page; 13 MB line over the limit
    path = tmp_path / "p.jsonl"
    path.write_text("".join(json.dumps({"id": str(i), "text": t}) + "\n"
                            for i, t in enumerate([big, huge, "after"])))
    stats = Stats()
    pages = list(iter_pages([str(path)], InputConfig(max_bytes=2_000_000), stats))
    assert [(p["page_id"], p["content"]) for p in pages] == [("0", big), ("2", "after")]
    assert [(s["reason"], Path(s["source"]).name) for s in stats.skipped] == [
        ("too_large", "p.jsonl:2")]
