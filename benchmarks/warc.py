"""WARC records/s: the reader alone (FastWARC + record checks) and reader + ingest (decode, checks).

A WARC is written at runtime from the gold-dev pages (../shared/data, never copied): per page a
request and an HTML response record, every few pages a metadata record and a non-HTML response,
repeated under new URIs until the file holds `--records` records; per-record gzip by default.

    .venv/bin/python benchmarks/warc.py                     # ~4,000 records, 3 repeats
    .venv/bin/python benchmarks/warc.py --records 1000 --plain --json out/warc.json
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import gold_html_records

from curation.config import InputConfig
from curation.io.readers import iter_pages
from curation.io.warc import read_warc
from curation.stats import Stats

DATE = "2024-05-01T12:00:00Z"


def _record(kind: str, uri: str, block: bytes, block_type: str) -> bytes:
    head = (f"WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Record-ID: <urn:uuid:{uri}#{kind}>\r\n"
            f"WARC-Date: {DATE}\r\nWARC-Target-URI: {uri}\r\nContent-Type: {block_type}\r\n"
            f"Content-Length: {len(block)}\r\n\r\n").encode()
    return head + block + b"\r\n\r\n"


def _response(uri: str, payload: bytes, ctype: str) -> bytes:
    http = (f"HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n").encode()
    return _record("response", uri, http + payload, "application/http; msgtype=response")


def write_warc(path: Path, htmls: list[str], records: int, per_record_gzip: bool) -> dict[str, int]:
    """Write a WARC of about *records* records; returns the count per record type."""
    counts = {"request": 0, "response_html": 0, "response_other": 0, "metadata": 0}
    with path.open("wb") as out:
        i = 0
        while sum(counts.values()) < records:
            uri = f"https://site{i % 50}.example/page/{i}"
            recs = [_record("request", uri, f"GET /page/{i} HTTP/1.1\r\n\r\n".encode(),
                            "application/http; msgtype=request"),
                    _response(uri, htmls[i % len(htmls)].encode("utf-8"),
                              "text/html; charset=utf-8")]
            counts["request"] += 1
            counts["response_html"] += 1
            if i % 5 == 0:
                recs.append(_record("metadata", uri, b"fetchTimeMs: 120\r\n",
                                    "application/warc-fields"))
                recs.append(_response(uri + ".png", b"\x89PNG\r\n\x1a\n" * 64, "image/png"))
                counts["metadata"] += 1
                counts["response_other"] += 1
            for rec in recs:
                out.write(gzip.compress(rec, compresslevel=6) if per_record_gzip else rec)
            i += 1
    return counts


def _time(fn: Any, repeat: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.process_time()
        result = fn()
        best = min(best, time.process_time() - start)
    return best, result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=4000, help="records in the generated WARC")
    ap.add_argument("--plain", action="store_true", help="an uncompressed .warc")
    ap.add_argument("--limit", type=int, default=None, help="at most N gold pages as payloads")
    ap.add_argument("--repeat", type=int, default=3, help="best-of-N CPU seconds")
    ap.add_argument("--json", default=None, metavar="PATH", help="also write the figures here")
    args = ap.parse_args(argv)
    htmls = [r["html"] for r in gold_html_records(args.limit)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("crawl.warc" if args.plain else "crawl.warc.gz")
        counts = write_warc(path, htmls, args.records, per_record_gzip=not args.plain)
        total = sum(counts.values())

        def reader() -> int:
            stats = Stats()
            with path.open("rb") as fh:
                return sum(1 for _ in read_warc(fh, path.name, 20_000_000, stats))

        def ingest() -> int:
            return sum(1 for _ in iter_pages([str(path)], InputConfig(), Stats()))

        read_s, html_pages = _time(reader, args.repeat)
        ingest_s, kept = _time(ingest, args.repeat)
        result = {
            "file": path.name, "bytes": path.stat().st_size, "records": total,
            "records_by_type": counts, "html_pages": html_pages, "pages_kept": kept,
            "reader_cpu_s": round(read_s, 3), "reader_records_per_s": round(total / read_s),
            "ingest_cpu_s": round(ingest_s, 3),
            "ingest_records_per_s": round(total / ingest_s),
            # every HTML response is decoded and checked; repeats of a page are then duplicates
            "ingest_html_pages_per_s": round(html_pages / ingest_s),
        }
    print(json.dumps(result, indent=2))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
