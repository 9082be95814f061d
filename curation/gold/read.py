"""Read gold pages (JSONL or JSONL.gz, one page a line), validate, yield GoldPage."""

from __future__ import annotations

import gzip
import html
import json
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from curation.errors import InputError
from curation.stats import Stats

STAGE = "evaluate"  # the stats stage bad gold lines, pages and segments are counted under
ANNOTATIONS = ("taxonomy", "main_only", "partial_snippets")

_NON_WORD = re.compile(r"\W+")
_TAG = re.compile(r"<[^>]*>")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class GoldSegment:
    """One hand-labelled block of a gold page."""

    text: str
    label: str
    start: int | None = None
    end: int | None = None
    source_label: str | None = None


@dataclass(frozen=True, slots=True)
class GoldPage:
    """One gold page; `excluded` holds indices of segments that must not be scored."""

    page_id: str
    annotation: str  # taxonomy | main_only | partial_snippets
    format: str  # "html" | "text"
    content: str
    segments: tuple[GoldSegment, ...]
    excluded: frozenset[int] = frozenset()
    url: str | None = None
    lang: str | None = None
    group: str | None = None
    source: str = ""  # path:line
    # the same page's main-text annotation (main_only, from another gold file), when this page
    # is a taxonomy page: it tells the story's body from its headline and byline (gold.copies)
    main_text: tuple[GoldSegment, ...] | None = None


def page_record(page: GoldPage) -> dict[str, Any]:
    """A gold page as a PAGE_SCHEMA dict; `lang` stays empty so the pipeline detects it, as on
    real input (the gold hint is missing or wrong on some pages)."""
    host = urlsplit(page.url).hostname if page.url else None
    return {
        "page_id": page.page_id, "url": page.url, "domain": host, "source": page.source,
        "lang": None, "format": page.format, "content": page.content,
    }


def _open(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open("r", encoding="utf-8")


class _PageText:
    """Lenient 'does this segment occur in the page' test: gold texts are decoded and
    whitespace-folded, and inline tags are joined without a space ("0<b>shares</b>")."""

    def __init__(self, content: str, fmt: str) -> None:
        if fmt == "text":
            self.compact = [_compact(content)]
            self.tokens = set(_WORD.findall(content.lower()))
        else:
            stripped = html.unescape(_TAG.sub("", content))
            raw = html.unescape(content)  # keeps attribute text (alt, title)
            self.compact = [_compact(stripped), _compact(raw)]
            self.tokens = set(_WORD.findall(stripped.lower())) | set(_WORD.findall(raw.lower()))

    def contains(self, text: str) -> bool:
        key = _compact(text)
        if not key or any(key in c for c in self.compact):
            return True
        return all(t in self.tokens for t in _WORD.findall(text.lower()))


def _compact(text: str) -> str:
    return _NON_WORD.sub("", text).lower()


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _opt_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_page(
    row: Any, labels: Collection[str], stats: Stats, source: str
) -> GoldPage | None:
    """Validate one decoded gold line; bad pages and segments are skipped and counted."""
    if not isinstance(row, dict):
        stats.skip(STAGE, "bad_json", source, f"line is {type(row).__name__}, not an object")
        return None
    page_id = row.get("page_id")
    if not isinstance(page_id, str) or not page_id:
        stats.skip(STAGE, "no_page_id", source, "page has no page_id")
        return None
    where = f"page {page_id}"
    if isinstance(row.get("html"), str) and row["html"].strip():
        fmt, content = "html", row["html"]
    elif isinstance(row.get("text"), str) and row["text"].strip():
        fmt, content = "text", row["text"]
    else:
        stats.skip(STAGE, "no_content", source, f"{where}: neither 'html' nor 'text' is given")
        return None
    annotation = row.get("annotation", "taxonomy")
    if annotation not in ANNOTATIONS:
        stats.skip(
            STAGE, "unknown_annotation", source,
            f"{where}: annotation {annotation!r} is not one of {', '.join(ANNOTATIONS)}",
        )
        return None
    raw_segments = row.get("segments")
    if not isinstance(raw_segments, list) or not raw_segments:
        stats.skip(STAGE, "no_segments", source, f"{where}: no segments")
        return None

    segments, excluded = _parse_segments(raw_segments, _PageText(content, fmt), labels, stats,
                                         source, where)
    if len(excluded) == len(segments):
        stats.skip(STAGE, "no_valid_segments", source, f"{where}: no segment can be scored")
        return None
    return GoldPage(
        page_id=page_id, annotation=annotation, format=fmt, content=content,
        segments=tuple(segments), excluded=frozenset(excluded),
        url=_opt_str(row.get("url")), lang=_opt_str(row.get("lang")),
        group=_opt_str(row.get("group")), source=source,
    )



def _parse_segments(
    raw_segments: list[Any], page_text: _PageText, labels: Collection[str], stats: Stats,
    source: str, where: str,
) -> tuple[list[GoldSegment], set[int]]:
    """The page's segments and the indices of those not to score (malformed, an unknown label,
    text not in the page), each kind counted once per page in *stats*."""
    segments: list[GoldSegment] = []
    excluded: set[int] = set()
    unknown: dict[str, int] = {}
    malformed: list[int] = []
    missing: list[int] = []
    for i, seg in enumerate(raw_segments):
        if not isinstance(seg, dict) or not isinstance(seg.get("text"), str):
            segments.append(GoldSegment(text="", label=""))
            excluded.add(i)
            malformed.append(i)
            continue
        label = seg.get("label")
        gs = GoldSegment(
            text=seg["text"], label=label if isinstance(label, str) else repr(label),
            start=_opt_int(seg.get("start")), end=_opt_int(seg.get("end")),
            source_label=_opt_str(seg.get("source_label")),
        )
        segments.append(gs)
        if gs.label not in labels:
            unknown[gs.label] = unknown.get(gs.label, 0) + 1
            excluded.add(i)
        elif not page_text.contains(gs.text):
            missing.append(i)
            excluded.add(i)
    if malformed:
        stats.skip(
            STAGE, "bad_segment", source,
            f"{where}: segments {_idx(malformed)} are not objects with a 'text' string; not scored",
        )
    if unknown:
        known = ", ".join(labels)
        names = ", ".join(f"{k!r} x{v}" for k, v in sorted(unknown.items()))
        stats.skip(
            STAGE, "unknown_label", source,
            f"{where}: segments with unknown labels {names} (known: {known}); not scored",
        )
    if missing:
        first = segments[missing[0]].text[:60]
        stats.skip(
            STAGE, "segment_not_in_page", source,
            f"{where}: segments {_idx(missing)} do not occur in the page (first: {first!r});"
            " not scored",
        )
    return segments, excluded


def _idx(items: list[int]) -> str:
    shown = ", ".join(str(i) for i in items[:10])
    return shown + (f" (+{len(items) - 10} more)" if len(items) > 10 else "")


def iter_gold(path: Path, labels: Collection[str], stats: Stats) -> Iterator[GoldPage]:
    """Stream valid gold pages from *path*; every bad line or page is recorded in *stats*."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"gold file {path} does not exist (expected JSONL or JSONL.gz)")
    seen: set[str] = set()
    lineno = 0
    try:
        with _open(path) as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                source = f"{path}:{lineno}"
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    stats.skip(STAGE, "bad_json", source, f"line {lineno}: {exc.msg}")
                    continue
                page = parse_page(row, labels, stats, source)
                if page is None:
                    continue
                if page.page_id in seen:
                    stats.skip(
                        STAGE, "duplicate_page_id", source,
                        f"page {page.page_id}: already read earlier in the file; not scored",
                    )
                    continue
                seen.add(page.page_id)
                stats.add(STAGE, "pages")
                yield page
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        if lineno <= 1:
            raise InputError(f"cannot read gold file {path}: {exc}") from None
        # a truncated download: keep what was read, say where it stopped
        stats.skip(STAGE, "unreadable", f"{path}:{lineno}", f"reading stopped: {exc}")


def dataset_names(path: Path) -> dict[str, tuple[str, str]]:
    """{page_id: (dataset, annotation)} from a gold file's raw lines: the `dataset` field, else
    the file's name (bad lines are skipped here: iter_gold counts them)."""
    if not path.is_file():
        raise InputError(f"gold file {path} does not exist (expected JSONL or JSONL.gz)")
    out: dict[str, tuple[str, str]] = {}
    with _open(path) as fh:
        for line in fh:
            try:
                row = json.loads(line)
                out[str(row["page_id"])] = (
                    str(row.get("dataset") or path.name.split(".")[0]),
                    str(row.get("annotation", "taxonomy")),
                )
            except (ValueError, KeyError, TypeError):
                continue
    return out
