"""Shared helpers for the benchmarks: gold pages as pipeline inputs, configs, peak memory."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from curation.config import RunConfig, load_config
from curation.io.decode import decode_bytes
from curation.io.readers import builtin_samples, content_id

ROOT = Path(__file__).resolve().parents[1]
# the same override as tests/conftest.py: CI keeps shared/ next to the repository
SHARED_DATA = Path(os.environ.get("CURATION_SHARED_DATA", ROOT.parent / "shared" / "data"))
GOLD_DEV = SHARED_DATA / "gold-dev.jsonl.gz"
GOLD_TAXONOMY = SHARED_DATA / "gold-taxonomy-dev.jsonl.gz"
DEFAULT_CONFIG = ROOT / "configs" / "default.yaml"


def read_gold(path: Path) -> Iterator[dict[str, Any]]:
    """The gold records of a JSONL(.gz) file, one dict a line."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def page_from_record(rec: dict[str, Any], lang: str | None = None) -> dict[str, Any]:
    """A PAGE_SCHEMA dict from a parsed gold record (HTML when it has html, else text)."""
    fmt, content = ("html", rec["html"]) if "html" in rec else ("text", rec["text"])
    return {
        "page_id": str(rec.get("page_id") or content_id(content)),
        "url": rec.get("url"),
        "domain": rec.get("group"),
        "source": "gold",
        "lang": lang,
        "format": fmt,
        "content": content,
    }


def gold_html_records(limit: int | None = None) -> list[dict[str, Any]]:
    """The parsed gold-dev records that hold HTML (at most *limit*)."""
    out = [r for r in read_gold(GOLD_DEV) if isinstance(r.get("html"), str)]
    return out[:limit] if limit else out


def text_pages(limit: int | None = None) -> list[dict[str, Any]]:
    """Distinct text-dump pages: the seed page, the bundled .txt samples, and one page per
    gold-dev page made by joining its gold segment texts with newlines."""
    contents: list[tuple[str, str]] = []
    for folder in (SHARED_DATA / "pages", builtin_samples()):
        for path in sorted(folder.glob("*.txt")):
            contents.append((path.name, decode_bytes(path.read_bytes())))
    for rec in read_gold(GOLD_DEV):
        texts = [s["text"] for s in rec.get("segments") or [] if s.get("text")]
        if texts:
            contents.append((str(rec["page_id"]), "\n".join(texts)))
    seen: set[str] = set()
    pages = []
    for name, content in contents:
        pid = content_id(content)
        if pid in seen:
            continue  # the seed page is also a bundled sample
        seen.add(pid)
        pages.append(
            {
                "page_id": pid,
                "url": None,
                "domain": None,
                "source": name,
                "lang": None,
                "format": "text",
                "content": content,
            }
        )
    return pages[:limit] if limit else pages


def bench_config(detector: str, batch_pages: int = 256) -> RunConfig:
    """configs/default.yaml with the given language detector (langdetect, fasttext, none ...)."""
    return load_config(DEFAULT_CONFIG, language={"detector": detector}, batch_pages=batch_pages)


def code_version() -> str:
    """The repository's HEAD commit, with "+dirty" when curation/ has uncommitted edits."""
    import subprocess

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout

    head = git("rev-parse", "--short", "HEAD").strip() or "unknown"
    return head + ("+dirty" if git("status", "--porcelain", "--", "curation").strip() else "")


def reset_peak_rss() -> bool:
    """Reset this process's RSS high-water mark (Linux: write 5 to /proc/self/clear_refs)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _status_mb(key: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def peak_rss_mb() -> float | None:
    """This process's RSS high-water mark (VmHWM) in MiB, or None off Linux."""
    return _status_mb("VmHWM")


def rss_mb() -> float | None:
    """This process's resident set size (VmRSS) in MiB, or None off Linux."""
    return _status_mb("VmRSS")
