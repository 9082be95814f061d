"""Hostile inputs, each built here: the page is kept (repaired, counted) or skipped with its
path and reason, and the run goes on to the next input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from curation.config import InputConfig, RunConfig
from curation.io.decode import decode_page
from curation.io.readers import iter_pages
from curation.process import process_batch
from curation.schema import PAGE_SCHEMA
from curation.segment.core import SegmentColumns
from curation.segment.html import html_block_columns
from curation.stats import Stats

GOOD = "<html><body><p>A perfectly ordinary paragraph of article text.</p></body></html>"


def read(paths: list[Path | str]) -> tuple[list[dict[str, Any]], Stats]:
    stats = Stats()
    pages = list(iter_pages([os.fspath(p) for p in paths], InputConfig(), stats))
    pa.Table.from_pylist(pages, schema=PAGE_SCHEMA)  # every kept page can be stored
    return pages, stats


def reasons(stats: Stats) -> list[tuple[str, str]]:
    return [(s["reason"], Path(s["source"]).name) for s in stats.skipped]


def test_jsonl_lone_surrogate_is_replaced_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    lines = [json.dumps({"text": "before \ud800 after", "url": "https://x.example/\udfff"}),
             json.dumps({"text": "the next line"})]
    path.write_text("\n".join(lines) + "\n", encoding="ascii")  # JSON escapes, valid ASCII
    pages, stats = read([path])
    assert [p["content"] for p in pages] == ["before \ufffd after", "the next line"]
    assert pages[0]["url"] == "https://x.example/\ufffd"
    assert stats.get("ingest", "replaced_chars") == 1  # the content's; fields are repaired too
    assert stats.get("ingest", "pages_repaired") == 1


def test_non_utf8_file_name_is_read_under_an_escaped_name(tmp_path: Path) -> None:
    name = os.fsdecode(b"caf\xe9.html")
    (tmp_path / name).write_text(GOOD, encoding="utf-8")
    (tmp_path / "plain.html").write_text(GOOD.replace("ordinary", "plain"), encoding="utf-8")
    pages, stats = read([tmp_path])
    assert sorted(Path(p["source"]).name for p in pages) == ["caf\\xe9.html", "plain.html"]
    assert stats.get("ingest", "non_utf8_file_names") == 1


def test_symlink_loops_are_counted_skips(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "page.html").write_text(GOOD, encoding="utf-8")
    (tmp_path / "sub" / "back").symlink_to(tmp_path, target_is_directory=True)  # a cycle
    (tmp_path / "self.html").symlink_to(tmp_path / "self.html")  # a link to itself
    pages, stats = read([tmp_path])
    assert [Path(p["source"]).name for p in pages] == ["page.html"]
    assert sorted(reasons(stats)) == [("symlink_loop", "back"), ("symlink_loop", "self.html")]


_UNREADABLE_CHILD = """
import json, sys
from curation.config import InputConfig, RunConfig
from curation.io.readers import iter_pages
from curation.process import process_batch
from curation.stats import Stats
stats = Stats()
pages = list(iter_pages([sys.argv[1]], InputConfig(), stats))
print(json.dumps({"pages": [p["source"] for p in pages], "skipped": stats.skipped}))
"""


def _without_root_powers() -> list[str]:
    """A command prefix that makes permission bits apply: root reads every folder, so as root
    the child runs without the capabilities that bypass them."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: permission bits cannot be enforced")
    caps = "-dac_override,-dac_read_search"
    return [setpriv, f"--bounding-set={caps}", f"--inh-caps={caps}"]


def test_unreadable_subfolder_is_a_counted_skip(tmp_path: Path) -> None:
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "page.html").write_text(GOOD, encoding="utf-8")
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "hidden.html").write_text(GOOD, encoding="utf-8")
    (tmp_path / "locked").chmod(0)
    try:
        proc = subprocess.run([*_without_root_powers(), sys.executable, "-c", _UNREADABLE_CHILD,
                               str(tmp_path)], capture_output=True, text=True, timeout=120,
                              check=False)
    finally:
        (tmp_path / "locked").chmod(0o755)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    assert [Path(s).name for s in out["pages"]] == ["page.html"]
    assert [(s["reason"], Path(s["source"]).name) for s in out["skipped"]] == [
        ("unreadable", "locked")]
    assert "PermissionError" in out["skipped"][0]["detail"]


GERMAN = "<p>Grüße für alle Bürger in München, schöne Straße, übermorgen.</p>"


@pytest.mark.parametrize("meta", ["", '<meta charset="utf-8">'])
def test_one_cut_utf8_character_is_repaired_in_place(meta: str) -> None:
    html = f"<html><head>{meta}</head><body>{GERMAN * 3}</body></html>".encode()
    cut = html.index("München".encode()) + 2  # the first byte of ü, its second byte dropped
    decoded = decode_page(html[: cut] + html[cut + 1:], html=True)
    assert decoded.encoding == "utf-8" and decoded.replaced == 1
    assert decoded.text.count("für") == 3 and "M\ufffdnchen" in decoded.text


@pytest.mark.parametrize("meta", ["", '<meta charset="utf-8">'])
def test_declared_utf8_is_evidence(meta: str) -> None:
    # one valid character and one stray byte: too little to call it UTF-8 unless the page says so
    html = f"<html><head>{meta}</head><body><p>für ".encode() + b"\xe9t</p></body></html>"
    decoded = decode_page(html, html=True)
    assert (decoded.encoding == "utf-8") == bool(meta)
    if meta:
        assert "für \ufffdt" in decoded.text and decoded.replaced == 1


BULGARIAN = "Това е българска страница с новини за времето, спорта и културата днес."


@pytest.mark.parametrize("meta", ["", '<meta charset="windows-1251">'])
def test_windows_1251_bulgarian_stays_correct(meta: str) -> None:
    html = f"<html><head>{meta}</head><body><p>{BULGARIAN}</p></body></html>"
    decoded = decode_page(html.encode("cp1251"), html=True)
    assert decoded.text == html and decoded.replaced == 0


def test_http_charset_is_evidence() -> None:
    page = f"<p>{BULGARIAN}</p>".encode("koi8_r")
    assert decode_page(page, html=True, declared="koi8-r").text == f"<p>{BULGARIAN}</p>"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_text(codec: str) -> None:
    decoded = decode_page(GOOD.encode(codec), html=True)
    assert decoded.text == GOOD and decoded.encoding == codec


def test_a_few_nul_bytes_do_not_make_a_page_binary(tmp_path: Path) -> None:
    body = "".join(f"<p>Paragraph {i} of a long and real article.</p>" for i in range(3990))
    data = bytearray(f"<html><body>{body}</body></html>".encode())
    for i in range(22):  # 22 NULs in ~194 KB, as in the page that was dropped
        data[1000 + i * 8000] = 0
    assert 190_000 < len(data) < 200_000
    (tmp_path / "nul.html").write_bytes(bytes(data))
    (tmp_path / "blob.html").write_bytes(bytes(range(256)) * 64)  # binary: a counted skip
    pages, stats = read([tmp_path])
    assert [Path(p["source"]).name for p in pages] == ["nul.html"]
    assert "\x00" not in pages[0]["content"]
    assert stats.get("ingest", "nul_chars_removed") == 22
    assert reasons(stats) == [("binary", "blob.html")]


def test_text_over_max_segment_chars_is_cut_and_counted() -> None:
    cols = SegmentColumns(max_chars=50)
    cols.add({"page_id": "h", "format": "html", "content": f"<p>{'word ' * 40}</p><p>short</p>"})
    cols.add({"page_id": "t", "format": "text", "content": "x" * 80 + "\nshort line"})
    table = cols.table()
    assert [len(t) for t in table.column("text").to_pylist()] == [50, 5, 50, 10]
    assert cols.truncated == 2


def test_deep_nesting_is_linear() -> None:
    for depth in (20_000, 100_000):
        html = "<div>" * depth + "deep text" + "</div>" * depth
        start = time.process_time()
        cols = html_block_columns(html)
        took = time.process_time() - start
        assert cols.text == ["deep text"]
        assert cols.flattened == 2 * (depth - 1000)
        assert took < (1.0 if depth == 20_000 else 5.0), f"{depth} nested: {took:.2f} s"


def test_cut_segments_and_flattened_tags_reach_the_run_counts() -> None:
    cfg = RunConfig(segment={"max_segment_chars": 50}, language={"detector": "none"})
    result = process_batch(pa.RecordBatch.from_pylist([
        {"page_id": "h", "format": "html", "content": f"<p>{'word ' * 40}</p>"},
        {"page_id": "d", "format": "html",
         "content": "<div>" * 2500 + "deep" + "</div>" * 2500},
    ], schema=PAGE_SCHEMA), cfg)
    assert result.segment_counts == {"truncated": 1, "flattened_tags": 2 * 1500}
    assert result.segments.column("text").to_pylist() == ["word " * 10, "deep"]
