"""Bad input is a counted skip with its reason and source; the good pages around it are kept."""

from __future__ import annotations

import gzip
import json
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curation.config import InputConfig
from curation.io.readers import iter_pages
from curation.stats import Stats

GOOD = "A perfectly ordinary paragraph of article text."


def read(paths: list[Path | str], **cfg: Any) -> tuple[list[dict[str, Any]], Stats]:
    stats = Stats()
    pages = list(iter_pages([str(p) for p in paths], InputConfig(**cfg), stats))
    return pages, stats


def skips(stats: Stats) -> list[tuple[str, str]]:
    """(reason, source file name[:line]) of every skip."""
    return [(s["reason"], Path(s["source"]).name) for s in stats.skipped]


def assert_counts_add_up(stats: Stats) -> None:
    page_skips = sum(v for k, v in stats.counts["ingest"].items()
                     if k.startswith("skipped:") and k not in
                     ("skipped:truncated_gz", "skipped:corrupt_gz", "skipped:unsupported_format"))
    assert stats.get("ingest", "pages") == stats.get("ingest", "kept") + page_skips


def jsonl_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_bad_jsonl_lines_are_skipped_and_neighbours_kept(tmp_path: Path) -> None:
    path = jsonl_lines(tmp_path / "p.jsonl", [
        json.dumps({"text": GOOD + " 1"}),
        '{"text": "unterminated',
        "[1, 2, 3]",
        json.dumps({"url": "https://x.example", "title": "no text field"}),
        json.dumps({"text": None, "html": 5}),
        "",
        json.dumps({"text": "   \n\t "}),
        json.dumps({"text": GOOD + " 2"}),
    ])
    pages, stats = read([path])
    assert [p["content"] for p in pages] == [GOOD + " 1", GOOD + " 2"]
    assert [p["source"] for p in pages] == [f"{path}:1", f"{path}:8"]
    assert skips(stats) == [("bad_json", "p.jsonl:2"), ("bad_json", "p.jsonl:3"),
                            ("missing_field", "p.jsonl:4"), ("missing_field", "p.jsonl:5"),
                            ("empty", "p.jsonl:7")]
    assert stats.get("ingest", "skipped:bad_json") == 2
    assert_counts_add_up(stats)


def test_empty_binary_and_textless_html_files(tmp_path: Path) -> None:
    (tmp_path / "01_empty.txt").write_bytes(b"")
    (tmp_path / "02_blank.txt").write_text(" \n\n\t \n")
    (tmp_path / "03_binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20)
    (tmp_path / "04_head_only.html").write_text(
        "<html><head><title>Title only</title></head></html>")
    (tmp_path / "05_script_only.html").write_text(
        "<html><body><script>var x = 'not text';</script><style>p{}</style>  </body></html>")
    (tmp_path / "06_ok.html").write_text(f"<html><body><div><p>{GOOD}</p></div></body></html>")
    (tmp_path / "07_ok.txt").write_text(GOOD)
    pages, stats = read([tmp_path])
    assert [Path(p["source"]).name for p in pages] == ["06_ok.html", "07_ok.txt"]
    assert skips(stats) == [("empty", "01_empty.txt"), ("empty", "02_blank.txt"),
                            ("binary", "03_binary.txt"), ("no_text", "04_head_only.html"),
                            ("no_text", "05_script_only.html")]
    assert_counts_add_up(stats)


def test_nul_characters_in_a_record_are_binary(tmp_path: Path) -> None:
    path = jsonl_lines(tmp_path / "p.jsonl", [json.dumps({"text": "ab\u0000cd"}),
                                              json.dumps({"text": GOOD})])
    pages, stats = read([path])
    assert len(pages) == 1 and skips(stats) == [("binary", "p.jsonl:1")]


def test_unreadable_file(tmp_path: Path) -> None:
    (tmp_path / "a_dangling.txt").symlink_to(tmp_path / "does-not-exist.txt")
    (tmp_path / "b.txt").write_text(GOOD)
    pages, stats = read([tmp_path])
    assert [Path(p["source"]).name for p in pages] == ["b.txt"]
    assert skips(stats) == [("unreadable", "a_dangling.txt")]
    assert "FileNotFoundError" in stats.skipped[0]["detail"]


def test_unreadable_parquet(tmp_path: Path) -> None:
    (tmp_path / "a.parquet").write_bytes(b"PAR1 this is not really parquet")
    pq.write_table(pa.table({"text": ["no id"]}), tmp_path / "b.parquet")
    pq.write_table(pa.table({"body": ["wrong column"]}), tmp_path / "c.parquet")
    pages, stats = read([tmp_path])
    assert [p["content"] for p in pages] == ["no id"]
    assert skips(stats) == [("unreadable", "a.parquet"), ("missing_field", "c.parquet")]


def test_too_large_page_is_skipped_without_reading_it(tmp_path: Path) -> None:
    big = tmp_path / "a_big.txt"
    with big.open("wb") as f:  # 20 MB + 1 byte, over the default 20,000,000 limit
        f.write(b"x" * 1000 + b"\n")
        f.truncate(20_000_001)
    (tmp_path / "b_ok.txt").write_text(GOOD)
    start = time.perf_counter()
    pages, stats = read([tmp_path])
    assert time.perf_counter() - start < 1.0
    assert [Path(p["source"]).name for p in pages] == ["b_ok.txt"]
    assert skips(stats) == [("too_large", "a_big.txt")]
    assert_counts_add_up(stats)


def test_too_large_jsonl_records(tmp_path: Path) -> None:
    path = jsonl_lines(tmp_path / "p.jsonl", [
        json.dumps({"text": "y" * 5000}),  # decoded content over max_bytes
        json.dumps({"text": "z" * 50_000}),  # even the raw line is over the line limit
        json.dumps({"text": "é" * 600}),  # 600 chars but 1200 UTF-8 bytes
        json.dumps({"text": GOOD}),
    ])
    pages, stats = read([path], max_bytes=1000)
    assert [p["content"] for p in pages] == [GOOD]
    assert skips(stats) == [("too_large", "p.jsonl:1"), ("too_large", "p.jsonl:2"),
                            ("too_large", "p.jsonl:3")]


def test_fifty_thousand_line_page_is_accepted(tmp_path: Path) -> None:
    text = "".join(f"Line {i} of a long text dump.\n" for i in range(50_000))
    (tmp_path / "long.txt").write_text(text)
    (page,), stats = read([tmp_path / "long.txt"])
    assert page["content"] == text and stats.get("ingest", "kept") == 1


def test_too_many_lines(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("line\n" * 11)
    (tmp_path / "b.txt").write_text("line\n" * 9)
    pages, stats = read([tmp_path], max_lines=10)
    assert [Path(p["source"]).name for p in pages] == ["b.txt"]
    assert skips(stats) == [("too_many_lines", "a.txt")]


def test_truncated_gz_keeps_what_was_read(tmp_path: Path) -> None:
    rows = "".join(json.dumps({"text": f"{GOOD} {i}"}) + "\n" for i in range(5000))
    data = gzip.compress(rows.encode())
    (tmp_path / "a.jsonl.gz").write_bytes(data[: len(data) // 2])
    (tmp_path / "b.txt").write_text("after the broken file")
    pages, stats = read([tmp_path])
    assert 0 < len(pages) - 1 < 5000
    assert [p["content"] for p in pages[:-1]] == [f"{GOOD} {i}" for i in range(len(pages) - 1)]
    assert pages[-1]["content"] == "after the broken file"
    assert [s["reason"] for s in stats.skipped] == ["truncated_gz"]
    assert stats.skipped[0]["source"].startswith(str(tmp_path / "a.jsonl.gz") + ":")
    assert_counts_add_up(stats)


def test_not_gzip_at_all(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl.gz").write_text(json.dumps({"text": GOOD}) + "\n")
    pages, stats = read([tmp_path / "a.jsonl.gz"])
    assert pages == [] and [s["reason"] for s in stats.skipped] == ["corrupt_gz"]


def test_duplicates_by_id_and_by_content(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(GOOD)
    (tmp_path / "b.txt").write_text(GOOD)  # same content, other path: same page_id
    jsonl_lines(tmp_path / "c.jsonl", [json.dumps({"id": "x", "text": "one"}),
                                       json.dumps({"id": "x", "text": "two"}),
                                       json.dumps({"id": "y", "text": "two"})])
    pages, stats = read([tmp_path])
    assert [Path(p["source"]).name for p in pages] == ["a.txt", "c.jsonl:1", "c.jsonl:3"]
    assert skips(stats) == [("duplicate", "b.txt"), ("duplicate", "c.jsonl:2")]
    assert stats.get("ingest", "skipped:duplicate") == 2


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_reading_streams(tmp_path: Path, fmt: str) -> None:
    """2,000 pages of 10 KB (20 MB) are read holding only a few pages at a time."""
    texts = [f"page {i} " + "w" * 10_000 for i in range(2000)]
    path = tmp_path / f"pages.{fmt}"
    if fmt == "jsonl":
        jsonl_lines(path, [json.dumps({"text": t}) for t in texts])
    else:
        pq.write_table(pa.table({"text": texts}), path, row_group_size=100)
    del texts
    stats = Stats()
    tracemalloc.start()
    try:
        n = sum(1 for _ in iter_pages([str(path)], InputConfig(), stats))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert n == 2000
    assert peak < 4_000_000, f"peak {peak} bytes: the reader holds too much at once"
