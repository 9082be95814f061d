"""How many annotator actions turn the pre-labels into the gold labels, per page of the
taxonomy gold (gold-taxonomy-dev), on the hypertext screen against the old per-segment one.

  old screen (layout: page)   one click per segment whose pre-label is wrong, plus Submit
  new screen (hypertext)      one action (a label's hotkey, then a drag over the lines) per
                              run of consecutive segments whose gold label is the same and
                              that holds at least one wrong pre-label (a region drawn over a
                              run replaces every pre-label under it, right or wrong), plus
                              Submit; lines left alone keep their pre-label

Our segments get their gold label from the gold segment covering most of their tokens
(segments the gold does not cover break runs and need no action). With --first-paint, the
largest page is also pushed to the Label Studio at $LABEL_STUDIO_URL and opened in Chromium
(benchmarks/ls_browser.py) on the hypertext screen (the default) and on the paragraphs one
(the former default), both with regions for the unsure pre-labels only, each against a
one-segment task of its own screen, --repeat times in turn; the medians of the seconds to
first paint and to a usable screen and of the browser's CPU seconds are printed. Each page is
timed twice: opened by its URL (Label Studio's whole app loads), and as the next task of the
label stream (*Label All Tasks*: Submit on a one-segment task, the page loads in the editor),
which is what a working annotator waits for.

    .venv/bin/python benchmarks/annotation_effort.py [--json out.json] [--first-paint]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_CONFIG, GOLD_TAXONOMY  # noqa: E402

from curation.config import RunConfig, load_config  # noqa: E402
from curation.gold import GoldPage, iter_gold, majority_targets, page_record  # noqa: E402
from curation.pipeline import label_pages  # noqa: E402
from curation.stats import Stats  # noqa: E402


def old_actions(pre: list[str | None], gold: list[str | None]) -> int:
    """One click per wrong pre-label, plus Submit."""
    return sum(1 for p, g in zip(pre, gold, strict=True) if g is not None and p != g) + 1


def new_actions(pre: list[str | None], gold: list[str | None]) -> int:
    """One action per run of same-gold segments that holds a wrong pre-label, plus Submit."""
    actions, i, n = 1, 0, len(gold)
    while i < n:
        if gold[i] is None:
            i += 1
            continue
        j = i
        while j < n and gold[j] == gold[i]:
            j += 1
        actions += any(pre[k] != gold[k] for k in range(i, j))
        i = j
    return actions


def page_effort(records: list[GoldPage], cfg: RunConfig) -> list[dict[str, Any]]:
    """Per gold page: segments, wrong pre-labels, actions on each screen."""
    table = label_pages([page_record(p) for p in records], cfg)
    rows: dict[str, list[dict[str, Any]]] = {}
    for r in table.select(["page_id", "position", "text", "prelabel", "confidence"]).to_pylist():
        rows.setdefault(r["page_id"], []).append(r)
    out = []
    for page in records:
        segs = sorted(rows.get(page.page_id, []), key=lambda r: r["position"])
        gold = majority_targets(page, [s["text"] for s in segs])
        pre = [s["prelabel"] for s in segs]
        out.append({"page_id": page.page_id, "segments": len(segs),
                    "wrong": sum(1 for p, g in zip(pre, gold, strict=True)
                                 if g is not None and p != g),
                    "old_actions": old_actions(pre, gold), "new_actions": new_actions(pre, gold)})
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gold", type=Path, default=GOLD_TAXONOMY)
    ap.add_argument("--limit", type=int, default=None, help="first N gold pages")
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    ap.add_argument("--first-paint", action="store_true",
                    help="open the largest page in Chromium on $LABEL_STUDIO_URL and time it")
    ap.add_argument("--repeat", type=int, default=3,
                    help="--first-paint: open each task this many times (medians)")
    args = ap.parse_args()
    cfg = load_config(DEFAULT_CONFIG)
    pages = list(iter_gold(args.gold, cfg.labels, Stats()))
    pages = [p for p in pages if p.annotation == "taxonomy"][:args.limit]
    per_page = page_effort(pages, cfg)
    summary: dict[str, Any] = {"pages": len(per_page)}
    for screen in ("old_actions", "new_actions"):
        values = [p[screen] for p in per_page]
        summary[screen] = {"median": statistics.median(values), "total": sum(values)}
    summary["segments"] = {"median": statistics.median(p["segments"] for p in per_page),
                           "max": max(p["segments"] for p in per_page)}
    summary["wrong_prelabels_total"] = sum(p["wrong"] for p in per_page)
    print(f"{len(per_page)} taxonomy pages, {summary['wrong_prelabels_total']} wrong pre-labels")
    print(f"{'screen':<34} {'median/page':>11} {'total':>7}")
    print(f"{'old: one click per wrong segment':<34} {summary['old_actions']['median']:>11} "
          f"{summary['old_actions']['total']:>7}")
    print(f"{'new: one action per run':<34} {summary['new_actions']['median']:>11} "
          f"{summary['new_actions']['total']:>7}")
    if args.first_paint:
        from ls_browser import time_largest_page

        largest = max(pages, key=lambda p: next(x["segments"] for x in per_page
                                                if x["page_id"] == p.page_id))
        summary["first_paint"] = [time_largest_page(largest, cfg, "unsure", layout, args.repeat)
                                  for layout in ("hypertext", "paragraphs")]
        for fp in summary["first_paint"]:
            print(f"largest page ({fp['segments']} segments, {fp['layout']}, {fp['regions']} "
                  f"pre-label regions: {fp['prelabel_regions']}): first paint "
                  f"{fp['first_paint_s']} s, usable {fp['usable_s']} s, browser CPU "
                  f"{fp['browser_cpu_s']} s (a one-segment task: usable "
                  f"{fp['one_segment_usable_s']} s, browser CPU "
                  f"{fp['one_segment_browser_cpu_s']} s)")
            print(f"  next in the label stream (Submit -> usable): usable {fp['stream_usable_s']} "
                  f"s, browser CPU {fp['stream_browser_cpu_s']} s (a one-segment task after "
                  f"one: usable {fp['stream_one_segment_usable_s']} s, browser CPU "
                  f"{fp['stream_one_segment_browser_cpu_s']} s)")
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "pages": per_page}, indent=2)
                             + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
