"""Site adaptation: how well a site's pages are labelled after the user labels k of them.

For every site of the taxonomy gold with at least 2 pages: the cleaner that never saw the site
(out-of-fold, folds grouped by site) labels the site's pages (k = 0); then k = 1, 2 of its pages
are "labelled by the user" (their gold labels teach the cleaner the site's templates and
repeated texts, as `curation train --from-model DEFAULT --gold my_labels` does) and the site's
other pages are scored. Each page of a site takes its turn as the first labelled one, so every
page is scored at every k where the site has a page left to score.

    .venv/bin/python benchmarks/site_adaptation.py [--cv 5]
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_CONFIG, GOLD_DEV, GOLD_TAXONOMY, SHARED_DATA  # noqa: E402

from curation.config import RunConfig, load_config  # noqa: E402
from curation.evaluate import score_pages  # noqa: E402
from curation.evaluate.metrics import PageScore, aggregate  # noqa: E402
from curation.model.adapt import site_memory  # noqa: E402
from curation.model.apply import rule_weights_of, with_prediction  # noqa: E402
from curation.model.cache import PreparedCache, default_cache_dir  # noqa: E402
from curation.model.cv import OutOfFold, out_of_fold, table_predictor  # noqa: E402
from curation.stats import Stats  # noqa: E402
from curation.taxonomy import site_of  # noqa: E402

SIX = ("article", "caption", "ad", "comment_ui", "teaser", "other")


def _page_scores(gold: Path, cfg: RunConfig, table: pa.Table, ids: set[str]) -> list[PageScore]:
    def predict(pages: list[dict[str, Any]]) -> pa.Table:
        return table_predictor(table)([p for p in pages if p["page_id"] in ids])

    return [s for page, s in score_pages(gold, cfg, predict, Stats()) if page.page_id in ids]


def six_label_mean(scores: list[PageScore], labels: list[str]) -> tuple[float, dict[str, float]]:
    """Mean token F1 over the six labels that occur in the scored gold, and each label's F1."""
    totals = aggregate(scores, labels)["labels"]
    f1 = {lab: float(totals[lab]["token_f1"]) for lab in SIX if lab in totals}
    return (float(np.mean(list(f1.values()))) if f1 else 0.0), f1


def adaptation_curve(oof: OutOfFold, gold: Path, cfg: RunConfig,
                     ks: tuple[int, ...] = (0, 1, 2)) -> dict[int, dict[str, Any]]:
    """Six-label mean and per-label token F1 at each k over the sites with >= 2 pages."""
    table = oof.table
    weights = rule_weights_of(cfg)
    pids = np.array(table.column("page_id").to_pylist(), dtype=object)
    sites = [site_of(d or u) for d, u in zip(table.column("domain").to_pylist(),
                                             table.column("url").to_pylist(), strict=True)]
    pages_of: dict[str, list[str]] = defaultdict(list)
    for pid, site in zip(pids, sites, strict=True):
        if site and pid not in pages_of[site]:
            pages_of[site].append(pid)
    multi = {s: sorted(p) for s, p in pages_of.items() if len(p) >= 2}
    base = oof.combined if oof.combined is not None else oof.proba
    labels = oof.cleaner.labels
    out: dict[int, dict[str, Any]] = {}
    for k in ks:
        scores: list[PageScore] = []
        n_sites = 0
        for pages in multi.values():
            if len(pages) <= k:
                continue
            n_sites += 1
            for start in range(len(pages)):
                taught = {pages[(start + j) % len(pages)] for j in range(k)}
                test = set(pages) - taught
                rows = np.flatnonzero(np.isin(pids, list(taught | test)))
                part = table.take(pa.array(rows))
                proba, p_body = base[rows], oof.p_body[rows]
                if taught:
                    lab = np.isin(pids[rows], list(taught))
                    targets = [t if m else None for t, m in zip(oof.target[rows], lab,
                                                                strict=True)]
                    memory = site_memory(part, targets, labels)
                    cleaner = oof.cleaner
                    saved, cleaner.site_memory = cleaner.site_memory, memory
                    try:
                        labelled = with_prediction(part, cleaner, oof.proba[rows], weights,
                                                   "combined", p_body, proba)
                    finally:
                        cleaner.site_memory = saved
                else:
                    labelled = with_prediction(part, oof.cleaner, oof.proba[rows], weights,
                                               "combined", p_body, proba)
                scores += _page_scores(gold, cfg, labelled, test)
        mean, f1 = six_label_mean(scores, labels)
        out[k] = {"sites": n_sites, "scored_pages": len(scores), "mean": mean, "labels": f1}
    return out


def format_curve(curve: dict[int, dict[str, Any]]) -> str:
    """One line per k: sites, scored pages, six-label mean, per-label token F1."""
    head = f"{'k':>2} {'sites':>6} {'pages':>6} {'mean':>7}" + "".join(f"{x[:10]:>11}" for x in SIX)
    lines = [head, "-" * len(head)]
    for k, r in curve.items():
        if not r["sites"]:
            lines.append(f"{k:>2}  (no site of the gold has more than {k} pages)")
            continue
        lines.append(f"{k:>2} {r['sites']:>6} {r['scored_pages']:>6} {r['mean']:>7.3f}"
                     + "".join(f"{r['labels'].get(x, float('nan')):>11.3f}" for x in SIX))
    return "\n".join(lines)


def main() -> None:
    """Print the curve on the taxonomy gold (the cleaner trained out-of-fold with gold-dev)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cv", type=int, default=5, help="folds, grouped by site")
    args = ap.parse_args()
    cfg = load_config(DEFAULT_CONFIG)
    oof = out_of_fold(GOLD_TAXONOMY, cfg, args.cv, [GOLD_DEV, SHARED_DATA / "gold-seed.jsonl"],
                      cache=PreparedCache(default_cache_dir()))
    print(f"== site adaptation on {GOLD_TAXONOMY.name} (k labelled pages of a site; the "
          f"cleaner never saw the site otherwise)")
    print(format_curve(adaptation_curve(oof, GOLD_TAXONOMY, cfg)))


if __name__ == "__main__":
    main()
