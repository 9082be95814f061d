"""The human-label store: labels keyed by what they labelled, not by where it sat.

A human label is stored with its page (page_id and URL), the hash of the segment's normalised
text and its occurrence number among equal texts on that page, plus the offsets where known.
Applying the store to a (re-crawled, re-segmented) run matches by content: a segment whose text
is unchanged gets its label back; a label whose text changed or vanished is reported, never
attached to other text. The store is only ever added to by a pull; `forget` deletes from it."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from curation.config import RunConfig
from curation.errors import SchemaError
from curation.io.atomic import atomic_dir
from curation.io.parquet import iter_batches
from curation.schema import HUMAN_LABEL_SCHEMA, SCHEMA_VERSION, SEGMENT_SCHEMA

STORE_SCHEMA = pa.schema(
    [
        pa.field("page_id", pa.string(), nullable=False),
        pa.field("url", pa.string()),
        pa.field("text_hash", pa.string(), nullable=False),  # of the normalised segment text
        pa.field("occurrence", pa.int32(), nullable=False),  # among equal texts on the page
        pa.field("start", pa.int32()),  # offsets into the page text when the label was pulled
        pa.field("end", pa.int32()),
        pa.field("segment_id", pa.string()),  # where the text sat in the labelled task
        pa.field("text", pa.string()),  # what was labelled (for the reports)
        pa.field("label", pa.string()),  # null: the annotators tied (on the review list)
        pa.field("annotators", pa.int32()),
        pa.field("agreement", pa.float32()),
        pa.field("ground_truth", pa.bool_()),
    ],
    metadata={"curation_schema": SCHEMA_VERSION, "kind": "human_label_store"},
)

_SPACE = re.compile(r"\s+")
Key = tuple[str, str, int]  # (page_id, text_hash, occurrence)


def store_dir(cfg: RunConfig) -> Path:
    """Where the run's human labels live: labelstudio.human_labels (relative to the config's
    folder), else OUTPUT/human_labels. Pulls write it, filter reads it, forget deletes from it;
    `--overwrite` never touches it."""
    named = cfg.labelstudio.human_labels
    return cfg.resolve(named) if named else cfg.resolve(cfg.output) / "human_labels"


def normalise(text: str) -> str:
    """The text as compared: Unicode NFKC, runs of whitespace as one space, trimmed."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def text_hash(text: str) -> str:
    """blake2b (16 hex digits) of the normalised text."""
    return hashlib.blake2b(normalise(text).encode("utf-8"), digest_size=8).hexdigest()


def content_keys(texts: Sequence[str]) -> list[tuple[str, int]]:
    """(text_hash, occurrence) of each text of one page, in page order."""
    seen: Counter[str] = Counter()
    out = []
    for t in texts:
        h = text_hash(t)
        out.append((h, seen[h]))
        seen[h] += 1
    return out


@dataclass(slots=True)
class StoredLabel:
    """One row of the store."""

    page_id: str
    url: str | None
    text_hash: str
    occurrence: int
    start: int | None
    end: int | None
    segment_id: str | None
    text: str | None
    label: str | None
    annotators: int
    agreement: float
    ground_truth: bool

    @property
    def key(self) -> Key:
        return (self.page_id, self.text_hash, self.occurrence)


def read_store(folder: Path) -> list[StoredLabel]:
    """Every stored label; [] when there is no store yet."""
    if not folder.is_dir() or not any(folder.glob("*.parquet")):
        return []
    names = set(pq.read_schema(next(iter(sorted(folder.glob("*.parquet"))))).names)
    if "text_hash" not in names:
        raise SchemaError(
            f"{folder} holds human labels keyed by segment position (an older curation); pull "
            "them again from Label Studio to rebuild it keyed by content")
    rows = [r for b in iter_batches(folder, STORE_SCHEMA) for r in b.to_pylist()]
    return [StoredLabel(**r) for r in rows]


def write_store(folder: Path, labels: Iterable[StoredLabel]) -> int:
    """Replace the store atomically with *labels*, sorted by key; returns the row count."""
    rows = sorted(labels, key=lambda s: s.key)
    cols = {f.name: [getattr(s, f.name) for s in rows] for f in STORE_SCHEMA}
    with atomic_dir(folder, {"rows": len(rows), "kind": "human_label_store"}) as tmp:
        pq.write_table(pa.table(cols, schema=STORE_SCHEMA), tmp / "part-00000.parquet",
                       compression="zstd")
    return len(rows)


@dataclass(slots=True)
class StoreUpdate:
    """What one pull did to the store."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_not_on_server: int = 0  # e.g. tasks deleted in Label Studio: never dropped silently


def update_store(old: list[StoredLabel], pulled: list[StoredLabel]
                 ) -> tuple[list[StoredLabel], StoreUpdate]:
    """The store after a pull: pulled labels replace those with the same key; stored labels the
    server no longer has are kept (and counted)."""
    report = StoreUpdate()
    by_key = {s.key: s for s in old}
    fresh = {s.key: s for s in pulled}
    for key, s in fresh.items():
        prev = by_key.get(key)
        if prev is None:
            report.added += 1
        elif (prev.label, prev.annotators, prev.agreement, prev.ground_truth) == (
                s.label, s.annotators, s.agreement, s.ground_truth):
            report.unchanged += 1
        else:
            report.updated += 1
        by_key[key] = s
    report.kept_not_on_server = sum(1 for k in by_key if k not in fresh)
    return list(by_key.values()), report


def forget(folder: Path, page_ids: set[str] | None) -> dict[str, int]:
    """Delete the labels of *page_ids* (None: all) from the store; the only way labels go."""
    labels = read_store(folder)
    keep = [] if page_ids is None else [s for s in labels if s.page_id not in page_ids]
    write_store(folder, keep)
    return {"deleted": len(labels) - len(keep), "kept": len(keep)}


@dataclass(slots=True)
class Resolution:
    """The store matched against a run's segments."""

    table: pa.Table  # HUMAN_LABEL_SCHEMA rows keyed by the run's segment_id
    applied: int = 0
    unmatched: list[dict[str, Any]] = field(default_factory=list)  # lost labels, with reasons
    offsets: dict[Key, tuple[int | None, int | None]] = field(default_factory=dict)


_RUN_COLUMNS = ["segment_id", "page_id", "position", "start", "end", "text", "url"]


def run_pages(segments_dir: Path, labels: list[StoredLabel] | None = None
              ) -> dict[str, list[dict[str, Any]]]:
    """page_id -> the run's segments in position order (only the columns matching needs); with
    *labels*, only the pages they can belong to (by page_id or URL), to keep memory small."""
    pages: dict[str, list[dict[str, Any]]] = defaultdict(list)
    ids = pa.array(sorted({s.page_id for s in labels or []}), pa.string())
    urls = pa.array(sorted({s.url for s in labels or [] if s.url}), pa.string())
    for batch in iter_batches(segments_dir, SEGMENT_SCHEMA, columns=_RUN_COLUMNS):
        if labels is not None:
            wanted = pc.or_(pc.is_in(batch.column("page_id"), value_set=ids),
                            pc.fill_null(pc.is_in(batch.column("url"), value_set=urls), False))
            batch = batch.filter(wanted)
        for row in batch.to_pylist():
            pages[row["page_id"]].append(row)
    for segs in pages.values():
        segs.sort(key=lambda s: s["position"])
    return dict(pages)


def resolve(labels: list[StoredLabel], pages: dict[str, list[dict[str, Any]]]) -> Resolution:
    """Attach stored labels to the run's segments by (page, text hash, occurrence). A page is
    found by page_id, else by URL (a re-crawl can change a content-derived id)."""
    by_url: dict[str, str] = {}
    for pid, segs in pages.items():
        if segs and segs[0]["url"]:
            by_url.setdefault(segs[0]["url"], pid)
    keyed: dict[tuple[str, str, int], dict[str, Any]] = {}
    for pid, segs in pages.items():
        for one, (h, occ) in zip(segs, content_keys([s["text"] for s in segs]), strict=True):
            keyed[(pid, h, occ)] = one
    hits: dict[str, StoredLabel] = {}
    unmatched: list[dict[str, Any]] = []
    offsets: dict[Key, tuple[int | None, int | None]] = {}
    # labels of the page under its own id first: they win over ones found through the URL
    for s in sorted(labels, key=lambda s: s.page_id not in pages):
        found: str | None = s.page_id if s.page_id in pages else by_url.get(s.url or "")
        seg = keyed.get((found, s.text_hash, s.occurrence)) if found is not None else None
        if seg is None:
            reason = "page_not_in_run" if found is None else "text_changed_or_gone"
            unmatched.append({"reason": reason, "page_id": s.page_id, "url": s.url,
                              "segment_id": s.segment_id, "label": s.label,
                              "text": (s.text or "")[:200]})
            continue
        prev = hits.get(seg["segment_id"])
        if prev is not None and prev.key != s.key:  # two pages' labels on one segment: refuse
            unmatched.append({"reason": "ambiguous_page", "page_id": s.page_id, "url": s.url,
                              "segment_id": s.segment_id, "label": s.label,
                              "text": (s.text or "")[:200]})
            continue
        hits[seg["segment_id"]] = s
        offsets[s.key] = (seg["start"], seg["end"])
    cols: dict[str, list[Any]] = {f.name: [] for f in HUMAN_LABEL_SCHEMA}
    for sid in sorted(hits):
        s = hits[sid]
        for name, value in (("segment_id", sid), ("label", s.label),
                            ("annotators", s.annotators), ("agreement", s.agreement),
                            ("ground_truth", s.ground_truth)):
            cols[name].append(value)
    table = pa.table(cols, schema=HUMAN_LABEL_SCHEMA)
    return Resolution(table, sum(1 for s in hits.values() if s.label is not None), unmatched,
                      offsets)
