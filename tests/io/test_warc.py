"""WARC input: HTML responses become pages (target URI, fetch date, HTTP charset); other records
are counted by type; damaged records are counted skips with file and offset, and reading goes
on at the next record. The WARC files are written here, byte by byte."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from curation.config import InputConfig
from curation.io.readers import iter_pages
from curation.stats import Stats

DATE = "2024-05-01T12:00:00Z"
BG = "Това е българска страница с новини за времето, спорта и културата днес."


def record(kind: str, url: str, payload: bytes = b"", ctype: str = "text/html; charset=utf-8",
           length_delta: int = 0) -> bytes:
    """One WARC/1.0 record; *length_delta* makes its Content-Length lie."""
    if kind == "response":
        block = (f"HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\n"
                 f"Content-Length: {len(payload)}\r\n\r\n").encode() + payload
        btype = "application/http; msgtype=response"
    elif kind == "request":
        block = b"GET / HTTP/1.1\r\nHost: x.example\r\n\r\n"
        btype = "application/http; msgtype=request"
    else:
        block, btype = payload or b"software: test\r\n", "application/warc-fields"
    head = (f"WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Record-ID: <urn:uuid:{abs(hash(block))}>\r\n"
            f"WARC-Date: {DATE}\r\nWARC-Target-URI: {url}\r\nContent-Type: {btype}\r\n"
            f"Content-Length: {len(block) + length_delta}\r\n\r\n").encode()
    return head + block + b"\r\n\r\n"


def html(text: str) -> str:
    return f"<html><body><p>{text}</p></body></html>"


def crawl() -> list[bytes]:
    return [
        record("warcinfo", ""),
        record("request", "https://a.example/"),
        record("response", "https://a.example/", html("Page A, für alle.").encode()),
        record("response", "https://b.example/logo.png", b"\x89PNG\r\n\x1a\n", "image/png"),
        record("response", "https://c.example/", html(BG).encode("cp1251"),
               "text/html; charset=windows-1251"),  # no meta charset: only HTTP says so
        record("metadata", "https://a.example/", b"fetchTimeMs: 12\r\n"),
        record("revisit", "https://a.example/", b""),
        record("response", "https://d.example/", html("Page D").encode()),
    ]


def read(path: Path) -> tuple[list[dict[str, Any]], Stats]:
    stats = Stats()
    return list(iter_pages([str(path)], InputConfig(), stats)), stats


def damaged(stats: Stats) -> list[tuple[str, int]]:
    return [(s["reason"], int(s["source"].rsplit("@", 1)[1])) for s in stats.skipped]


@pytest.mark.parametrize("layout", ["plain", "per_record_gzip", "whole_file_gzip"])
def test_html_responses_become_pages(tmp_path: Path, layout: str) -> None:
    recs = crawl()
    data = {"plain": b"".join(recs),
            "per_record_gzip": b"".join(gzip.compress(r) for r in recs),
            "whole_file_gzip": gzip.compress(b"".join(recs))}[layout]
    path = tmp_path / ("crawl.warc" if layout == "plain" else "crawl.warc.gz")
    path.write_bytes(data)
    pages, stats = read(path)
    assert [p["url"] for p in pages] == ["https://a.example/", "https://c.example/",
                                         "https://d.example/"]
    assert html("Page A, für alle.") == pages[0]["content"]
    assert html(BG) == pages[1]["content"]  # decoded with the HTTP charset
    assert {p["fetched"] for p in pages} == {"2024-05-01T12:00:00+00:00"}
    assert [p["domain"] for p in pages] == ["a.example", "c.example", "d.example"]
    if layout == "plain":
        offsets = [sum(map(len, recs[:i])) for i in (2, 4, 7)]
        assert [p["source"] for p in pages] == [f"{path}@{o}" for o in offsets]
    counts = stats.counts["ingest"]
    assert {k: v for k, v in counts.items() if k.startswith("warc_records:")} == {
        "warc_records:warcinfo": 1, "warc_records:request": 1, "warc_records:response": 4,
        "warc_records:metadata": 1, "warc_records:revisit": 1}
    assert counts["warc_not_html"] == 1 and stats.skipped == []
    assert counts.get("warc_whole_file_gzip", 0) == (layout == "whole_file_gzip")


def test_damaged_records_are_counted_and_reading_goes_on(tmp_path: Path) -> None:
    recs = crawl()
    recs[2] = record("response", "https://a.example/", html("too long").encode(),
                     length_delta=+400)  # runs into the next record
    recs[4] = record("response", "https://c.example/", html("too short").encode(),
                     length_delta=-30)
    recs.insert(6, b"GARBAGE, NOT A RECORD\r\n\r\n")
    data = b"".join(recs)
    cut = data[: len(data) - 40]  # the last record is cut short
    path = tmp_path / "bad.warc"
    path.write_bytes(cut)
    pages, stats = read(path)
    offsets = [sum(map(len, recs[:i])) for i in range(len(recs))]
    assert pages == []  # every HTML response here is damaged
    assert damaged(stats) == [("damaged_warc", offsets[i]) for i in (2, 4, 6, 8)]
    assert stats.get("ingest", "warc_records:metadata") == 1  # read on after the damage
    assert stats.get("ingest", "warc_records:revisit") == 1


def test_good_records_after_damage_are_kept(tmp_path: Path) -> None:
    recs = crawl()
    recs[2] = record("response", "https://a.example/", html("lies").encode(), length_delta=-12)
    members = [gzip.compress(r) for r in recs]
    members[-1] = members[-1][:-30]  # a cut gzip member at the end
    path = tmp_path / "bad.warc.gz"
    path.write_bytes(b"".join(members))
    pages, stats = read(path)
    assert [p["url"] for p in pages] == ["https://c.example/"]
    offsets = [sum(map(len, members[:i])) for i in range(len(members))]
    assert damaged(stats) == [("damaged_warc", offsets[2]), ("damaged_warc", offsets[-1])]


@pytest.mark.shared_data
def test_warc_benchmark_runs(tmp_path: Path, shared_data: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    out = tmp_path / "warc.json"
    proc = subprocess.run(
        [sys.executable, "benchmarks/warc.py", "--records", "60", "--limit", "5", "--repeat",
         "1", "--json", str(out)],
        cwd=root, capture_output=True, text=True, timeout=600, check=False,
        env={**os.environ, "CURATION_SHARED_DATA": str(shared_data)},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(out.read_text())
    assert result["records"] == 60 and result["html_pages"] == 25
    assert result["pages_kept"] == 5  # the 5 pages, then their repeats as duplicates
    assert result["reader_records_per_s"] > 0 and result["ingest_records_per_s"] > 0
