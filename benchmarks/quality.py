"""Quality benchmark: jusText and trafilatura against our labeller (rules alone, the trained
cleaner alone, and both combined) on the same gold pages, scored by the same evaluator.

Our model figures are out-of-fold: K folds grouped by site, extra training files minus every
page of a test site (the taxonomy pages are also in gold-dev: never trained on when scored).
The extractors return main text, not labelled blocks, so each of OUR segments is called
`article` when most of its tokens align to the extractor's output, `other` otherwise.
Segmented, pre-labelled gold and its features are cached in ~/.cache/curation
($CURATION_CACHE_DIR; curation/model/cache.py): a second run only fits and scores.

    .venv/bin/python benchmarks/quality.py [--cv 5] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_CONFIG, GOLD_DEV, GOLD_TAXONOMY, SHARED_DATA  # noqa: E402

from curation.config import RunConfig, load_config  # noqa: E402
from curation.evaluate import evaluate_gold  # noqa: E402
from curation.gold import GoldPage, iter_gold  # noqa: E402
from curation.gold.align import align, tokenize  # noqa: E402
from curation.label.calibrate import ece  # noqa: E402
from curation.model.cache import PreparedCache, default_cache_dir  # noqa: E402
from curation.model.cv import OutOfFold, out_of_fold, table_predictor  # noqa: E402
from curation.stats import Stats  # noqa: E402

GOLD_SEED = SHARED_DATA / "gold-seed.jsonl"
LEAK_SHOWN = ("caption", "teaser", "comment_ui", "ad")
_JUSTEXT_LANG = {
    "en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
    "pt": "Portuguese", "nl": "Dutch", "ru": "Russian", "bg": "Bulgarian", "pl": "Polish",
    "cs": "Czech", "sv": "Swedish", "da": "Danish", "fi": "Finnish", "tr": "Turkish",
    "el": "Greek", "uk": "Ukrainian", "id": "Indonesian", "ja": "Japanese", "zh": "Chinese",
}


def trafilatura_text(html: str, lang: str | None) -> str:
    """trafilatura's main text (defaults, no comments: the benchmark's setting)."""
    import trafilatura

    return trafilatura.extract(html, include_comments=False) or ""


def justext_text(html: str, lang: str | None) -> str:
    """jusText's good paragraphs, with the stoplist of the page's language (English if none)."""
    import justext

    name = _JUSTEXT_LANG.get((lang or "en")[:2], "English")
    try:
        stop = justext.get_stoplist(name)
    except ValueError:
        stop = justext.get_stoplist("English")
    paras = justext.justext(html.encode("utf-8", "replace"), stop, encoding="utf-8")
    return "\n".join(p.text for p in paras if not p.is_boilerplate)


def extractor_labels(
    table: pa.Table, pages: dict[str, GoldPage], extract: Callable[[str, str | None], str]
) -> pa.Table:
    """Our segments labelled article where most of their tokens align to the extracted text."""
    pids = table.column("page_id").to_pylist()
    texts = table.column("text").to_pylist()
    langs = table.column("lang").to_pylist()
    labels = ["other"] * len(pids)
    rows: dict[str, list[int]] = {}
    for i, pid in enumerate(pids):
        rows.setdefault(pid, []).append(i)
    for pid, idx in rows.items():
        page = pages.get(pid)
        if page is None or page.format != "html":
            continue
        try:
            extracted = tokenize(extract(page.content, langs[idx[0]]))
        except ImportError:  # a broken install, not a page the extractor fails on
            raise
        except Exception as exc:  # an extractor crash on one page scores it as all "other"
            print(f"  {extract.__name__} failed on {pid}: {exc}", file=sys.stderr)
            continue
        ours: list[str] = []
        owner: list[int] = []
        for i in idx:
            toks = tokenize(texts[i])
            ours.extend(toks)
            owner.extend([i] * len(toks))
        hits: Counter[int] = Counter()
        for k, j in enumerate(align(ours, extracted)):
            if j >= 0:
                hits[owner[k]] += 1
        n_tok = Counter(owner)
        for i in idx:
            if n_tok[i] and 2 * hits[i] > n_tok[i]:
                labels[i] = "article"
    return table.set_column(
        table.schema.get_field_index("prelabel"), "prelabel", pa.array(labels, pa.string())
    )


def calibration(oof: OutOfFold, cfg: RunConfig) -> dict[str, dict[str, float]]:
    """Per system, over the segments with a gold label: the expected calibration error of the
    `confidence` column (10 bins), the share of segments at confidence >= 0.9 and how many of
    those are right (what `min_confidence` and `--select uncertain` rely on)."""
    known = np.isin(oof.target, list(cfg.labels))
    out: dict[str, dict[str, float]] = {}
    for mode in ("rules", "model", "combined"):
        t = oof.table if mode == "rules" else oof.labelled(cfg, mode)
        conf = np.asarray(t.column("confidence").to_pylist(), dtype=np.float64)[known]
        pred = np.asarray(t.column("prelabel").to_pylist(), dtype=object)[known]
        right = pred == oof.target[known]
        high = conf >= 0.9
        out[f"ours: {mode}"] = {
            "segments": int(known.sum()), "ece": ece(conf, right),
            "share_at_0.9": float(high.mean()) if len(high) else 0.0,
            "right_at_0.9": float(right[high].mean()) if high.any() else 0.0,
        }
    return out


def format_calibration(results: dict[str, dict[str, float]]) -> str:
    lines = [f"{'calibration':<16}{'segments':>10}{'ECE':>8}{'conf>=0.9':>11}{'right':>8}"]
    for name, r in results.items():
        lines.append(f"{name:<16}{r['segments']:>10}{r['ece']:>8.4f}{r['share_at_0.9']:>11.3f}"
                     f"{r['right_at_0.9']:>8.4f}")
    return "\n".join(lines)


def score_all(
    gold: Path, extra: list[Path], cfg: RunConfig, k: int, prefixes: list[str | None]
) -> dict[str | None, dict[str, dict[str, Any]]]:
    """Scores of every system on *gold* (once per page-id prefix), and under the key
    "calibration" the calibration of ours."""
    t0 = time.perf_counter()
    oof = out_of_fold(gold, cfg, k, extra, cache=PreparedCache(default_cache_dir()))
    table = oof.table
    print(f"  segment + rules + {k}-fold training: {time.perf_counter() - t0:.0f} s",
          file=sys.stderr)
    pages = {p.page_id: p for p in iter_gold(gold, cfg.labels, Stats())}
    systems = {
        "jusText": extractor_labels(table, pages, justext_text),
        "trafilatura": extractor_labels(table, pages, trafilatura_text),
        "ours: rules": table,
        "ours: model": oof.labelled(cfg, "model"),
        "ours: combined": oof.labelled(cfg, "combined"),
    }
    scores: dict[str | None, dict[str, dict[str, Any]]] = {
        prefix: {
            name: evaluate_gold(gold, cfg, predict=table_predictor(t), page_prefix=prefix)
            for name, t in systems.items()
        }
        for prefix in prefixes
    }
    scores["calibration"] = calibration(oof, cfg)
    return scores


def format_block(title: str, results: dict[str, dict[str, Any]]) -> str:
    """Two tables, a row per system: per-label token F1 with their mean and the leak rates
    into article; per-label segment F1 with their mean."""
    labels = [lab for lab in next(iter(results.values()))["labels"]]
    lines = [title]
    for metric, leaks in (("token_f1", True), ("segment_f1", False)):
        head = f"{metric:<16}" + "".join(f"{lab[:10]:>11}" for lab in labels) + f"{'mean':>8}"
        if leaks:
            head += "".join(f"{'leak ' + x[:6]:>13}" for x in LEAK_SHOWN)
        lines += [head, "-" * len(head)]
        for name, r in results.items():
            f1 = [r["labels"].get(lab, {}).get(metric, 0.0) for lab in labels]
            row = f"{name:<16}" + "".join(f"{x:>11.3f}" for x in f1) + f"{float(np.mean(f1)):>8.3f}"
            if leaks:
                row += "".join(
                    f"{r['leak'][x]:>13.3f}" if x in r["leak"] else f"{'-':>13}" for x in LEAK_SHOWN
                )
            lines.append(row)
    lines.append(f"(F1 per label, mean over the labels present; leak: share of the label's "
                 f"gold tokens labelled article; pages: {next(iter(results.values()))['pages']})")
    return "\n".join(lines)


def main() -> None:
    """Run every system on gold-dev (all, and Scrapinghub pages) and the taxonomy pages."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cv", type=int, default=5, help="folds, grouped by site")
    ap.add_argument("--json", type=Path, help="also write every result here")
    args = ap.parse_args()
    cfg = load_config(DEFAULT_CONFIG)
    out: dict[str, Any] = {}
    print("gold-dev ...", file=sys.stderr)
    dev = score_all(GOLD_DEV, [GOLD_TAXONOMY, GOLD_SEED], cfg, args.cv, ["scrapinghub:", None])
    out["gold-dev scrapinghub"] = dev["scrapinghub:"]
    out["gold-dev all"] = dev[None]
    print("gold-taxonomy-dev ...", file=sys.stderr)
    tax = score_all(GOLD_TAXONOMY, [GOLD_DEV, GOLD_SEED], cfg, args.cv, [None])
    out["gold-taxonomy-dev"] = tax[None]
    out["calibration on gold-taxonomy-dev"] = tax["calibration"]
    for title, res in out.items():
        if title.startswith("calibration"):
            print(f"\n== {title} ({args.cv}-fold CV grouped by site)\n{format_calibration(res)}")
        else:
            print(format_block(f"\n== {title} ({args.cv}-fold CV grouped by site for our model)",
                               res))
    if args.json:
        args.json.write_text(json.dumps(out, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
