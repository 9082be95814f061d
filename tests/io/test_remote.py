"""Remote and glob inputs through fsspec: file:// urls, a real local HTTP server (http.server
on 127.0.0.1 in a thread), and urls that cannot be reached."""

from __future__ import annotations

import functools
import gzip
import json
import socket
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from curation.config import InputConfig
from curation.errors import InputError
from curation.io.readers import iter_pages
from curation.stats import Stats


def page(text: str) -> str:
    return f"<html><body><p>{text}</p></body></html>"


def read(specs: list[str]) -> tuple[list[dict[str, Any]], Stats]:
    stats = Stats()
    return list(iter_pages(specs, InputConfig(), stats)), stats


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "a.html").write_text(page("Page A"), encoding="utf-8")
    (tmp_path / "b.html").write_text(page("Page B"), encoding="utf-8")
    (tmp_path / "notes.txt").write_text("a text dump\nsecond line\n", encoding="utf-8")
    rows = [{"id": "j1", "text": "from a gzipped JSONL"}, {"id": "j2", "html": page("J2")}]
    (tmp_path / "rows.jsonl.gz").write_bytes(
        gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode()))
    return tmp_path


@pytest.fixture
def server(site: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass


def test_file_url_with_glob_reads_like_a_local_path(site: Path) -> None:
    by_url, _ = read([f"file://{site}/*.html"])
    by_path, _ = read([str(site / "*.html")])
    assert [p["content"] for p in by_url] == [page("Page A"), page("Page B")]
    assert by_url == by_path


def test_http_file_glob_and_gzipped_jsonl(server: str) -> None:
    pages, stats = read([f"{server}/a.html", f"{server}/*.txt", f"{server}/rows.jsonl.gz"])
    assert [p["content"] for p in pages] == [
        page("Page A"), "a text dump\nsecond line\n", "from a gzipped JSONL", page("J2")]
    assert [p["source"] for p in pages] == [
        f"{server}/a.html", f"{server}/notes.txt", f"{server}/rows.jsonl.gz:1",
        f"{server}/rows.jsonl.gz:2"]
    assert stats.skipped == []


def test_http_glob_matches_like_a_folder_listing(server: str) -> None:
    pages, _ = read([f"{server}/*.html"])
    assert [p["content"] for p in pages] == [page("Page A"), page("Page B")]


def test_warc_over_http_with_a_damaged_record(site: Path, server: str) -> None:
    def response(url: str, payload: bytes, lie: int = 0) -> bytes:
        block = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + payload)
        return (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: {url}\r\n"
                f"WARC-Date: 2024-05-01T12:00:00Z\r\n"
                f"Content-Type: application/http; msgtype=response\r\n"
                f"Content-Length: {len(block) + lie}\r\n\r\n").encode() + block + b"\r\n\r\n"

    recs = [response("https://x.example/1", page("One").encode()),
            response("https://x.example/2", page("Two").encode(), lie=-9),
            response("https://x.example/3", page("Three").encode())]
    (site / "crawl.warc").write_bytes(b"".join(recs))
    pages, stats = read([f"{server}/crawl.warc"])
    assert [p["url"] for p in pages] == ["https://x.example/1", "https://x.example/3"]
    assert [(s["reason"], s["source"]) for s in stats.skipped] == [
        ("damaged_warc", f"{server}/crawl.warc@{len(recs[0])}")]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_url_is_a_clear_error() -> None:
    url = f"http://127.0.0.1:{_closed_port()}/crawl.warc.gz"
    with pytest.raises(InputError, match="cannot be reached"):
        read([url])


def test_missing_remote_file_and_glob_without_match(server: str) -> None:
    with pytest.raises(InputError, match="cannot be reached"):
        read([f"{server}/missing.html"])
    with pytest.raises(InputError, match="matches no file"):
        read([f"{server}/*.parquet"])


def test_protocol_without_its_package_says_what_to_install() -> None:
    try:
        import s3fs  # noqa: F401
    except ImportError:
        with pytest.raises(InputError, match="s3fs"):
            read(["s3://some-bucket/crawl/*.warc.gz"])
    else:
        pytest.skip("s3fs is installed: the missing-package message cannot be shown")


def test_curation_run_over_http(server: str, tmp_path: Path) -> None:
    from curation.config import load_config
    from curation.pipeline import run

    cfg = load_config(None, input={"paths": [f"{server}/*.html", f"{server}/rows.jsonl.gz"]},
                      output=str(tmp_path / "out"), language={"detector": "none"})
    stats = run(cfg)
    assert stats["counts"]["ingest"]["kept"] == 4
    assert stats["summary"]["pages"] == 4
