"""Do human labels stay on their text? Label every segment of every gold-dev page, change the
pages, re-segment, re-apply the labels from the content-keyed store, and count.

Changes tried (each on every page):
  insert-line    a new line at the top of the page (a re-crawl that gained a banner)
  max-chars-300  `segment.max_segment_chars` 100,000 -> 300 (long segments are cut)

For each change, "unchanged" segments are those whose normalised text has a counterpart in the
old segmentation (difflib's alignment of the two text sequences, independent of the store's
matching). kept = unchanged segments that got back exactly their counterpart's label;
wrongly attached = segments that got a label their counterpart did not have, or a label while
having no counterpart at all. Every label is different per position (a hash), so a label moved
to other text shows.

    .venv/bin/python benchmarks/label_durability.py [--limit N] [--json out.json]
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import GOLD_DEV, page_from_record, read_gold  # noqa: E402

from curation.config import RunConfig  # noqa: E402
from curation.human.store import StoredLabel, content_keys, normalise, resolve  # noqa: E402
from curation.segment.core import segment_page  # noqa: E402

_BODY = re.compile(r"<body[^>]*>", re.IGNORECASE)
LABELS = RunConfig().labels
INSERTED = "<p>Breaking: this line was added when the page was crawled again.</p>"


def insert_line(content: str) -> str:
    """The page with one paragraph more at the top of its body."""
    m = _BODY.search(content)
    at = m.end() if m else 0
    return content[:at] + INSERTED + content[at:]


def label_of(page_id: str, position: int) -> str:
    """A full set of 'human' labels: a label per segment that differs along the page."""
    h = hashlib.blake2b(f"{page_id}:{position}".encode(), digest_size=4).digest()
    return LABELS[int.from_bytes(h, "little") % len(LABELS)]


def store_rows(page_id: str, url: str | None, segs: list[dict[str, Any]]) -> list[StoredLabel]:
    keys = content_keys([s["text"] for s in segs])
    return [StoredLabel(page_id, url, h, occ, s["start"], s["end"], s["segment_id"], s["text"],
                        label_of(page_id, i), 1, 1.0, False)
            for i, (s, (h, occ)) in enumerate(zip(segs, keys, strict=True))]


def counterparts(old: list[str], new: list[str]) -> dict[int, int]:
    """new index -> old index of the same (normalised) text, by sequence alignment."""
    sm = difflib.SequenceMatcher(None, [normalise(t) for t in old], [normalise(t) for t in new],
                                 autojunk=False)
    return {b + k: a + k for a, b, n in sm.get_matching_blocks() for k in range(n)}


def measure(records: list[dict[str, Any]], change: str) -> dict[str, Any]:
    labels: list[StoredLabel] = []
    old_segs: dict[str, list[dict[str, Any]]] = {}
    new_segs: dict[str, list[dict[str, Any]]] = {}
    for rec in records:
        page = page_from_record(rec)
        old = segment_page(page)
        old_segs[page["page_id"]] = old
        labels += store_rows(page["page_id"], page["url"], old)
        if change == "insert-line":
            new = segment_page({**page, "content": insert_line(page["content"])})
        else:
            new = segment_page(page, max_chars=300)
        new_segs[page["page_id"]] = new
    t0 = time.perf_counter()
    res = resolve(labels, new_segs)
    seconds = time.perf_counter() - t0
    got = dict(zip(res.table["segment_id"].to_pylist(), res.table["label"].to_pylist(),
                   strict=True))
    unchanged = kept = wrong = 0
    for pid, new in new_segs.items():
        old = old_segs[pid]
        pairs = counterparts([s["text"] for s in old], [s["text"] for s in new])
        for j, seg in enumerate(new):
            label = got.get(seg["segment_id"])
            i = pairs.get(j)
            truth = label_of(pid, i) if i is not None else None
            if i is not None:
                unchanged += 1
                kept += label == truth
            if label is not None and label != truth:
                wrong += 1
    return {"change": change, "pages": len(records), "labels": len(labels),
            "segments_after": sum(len(v) for v in new_segs.values()),
            "unchanged_segments": unchanged, "kept": kept,
            "kept_pct": round(100 * kept / max(unchanged, 1), 3), "wrongly_attached": wrong,
            "lost_listed": len(res.unmatched), "resolve_seconds": round(seconds, 3)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--limit", type=int, default=None, help="first N gold-dev HTML pages")
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = ap.parse_args()
    records = [r for r in read_gold(GOLD_DEV) if isinstance(r.get("html"), str)][:args.limit]
    results = [measure(records, c) for c in ("insert-line", "max-chars-300")]
    print(f"{'change':<14} {'pages':>5} {'labels':>7} {'unchanged':>9} {'kept':>7} "
          f"{'kept %':>8} {'wrong':>5} {'lost':>5}")
    ok = True
    for r in results:
        print(f"{r['change']:<14} {r['pages']:>5} {r['labels']:>7} {r['unchanged_segments']:>9} "
              f"{r['kept']:>7} {r['kept_pct']:>8.3f} {r['wrongly_attached']:>5} "
              f"{r['lost_listed']:>5}")
        ok &= r["kept_pct"] >= 99 and r["wrongly_attached"] == 0
    print("bars: kept >= 99 %, wrongly attached == 0:", "[PASS]" if ok else "[FAIL]")
    if args.json:
        args.json.write_text(json.dumps({"results": results, "pass": ok}, indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
