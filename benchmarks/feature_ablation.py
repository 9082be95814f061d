"""Feature ablation under 5-fold CV grouped by site on the taxonomy pages (trained with gold-dev
and the seed page, never on a test site): per-label token F1, the six-label mean and the leaks
into article, for each feature-group variant.

A variant is `base` (the default groups), `+GROUP` or `-GROUP` (one group added to or taken
from the default), or a comma list of both (`+classes,-template`); put `--` before the
variants so that `-GROUP` is not read as an option. `--screen` fits the model
alone without the inner CV (no tuned threshold, body stage or combiner: ~4x quicker) to rank
variants; without it, the full model and the combiner are fitted and both are scored.
Segmented, pre-labelled pages and feature matrices are cached (curation/model/cache.py).

    .venv/bin/python benchmarks/feature_ablation.py --screen -- base +classes -template
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_CONFIG, GOLD_DEV, GOLD_TAXONOMY, SHARED_DATA  # noqa: E402

from curation.config import load_config  # noqa: E402
from curation.evaluate import evaluate_gold  # noqa: E402
from curation.model.cache import PreparedCache, default_cache_dir  # noqa: E402
from curation.model.cv import out_of_fold, table_predictor  # noqa: E402
from curation.model.features import DEFAULT_GROUPS, GROUPS, FeatureConfig  # noqa: E402

SIX = ("article", "caption", "ad", "comment_ui", "teaser", "other")
LEAKS = ("caption", "ad", "teaser", "comment_ui")


def variant_groups(spec: str) -> tuple[str, ...]:
    """The feature groups of a variant spec (see the module docstring)."""
    groups = list(DEFAULT_GROUPS)
    for part in [p.strip() for p in spec.split(",") if p.strip() and p.strip() != "base"]:
        sign, name = part[0], part[1:]
        if sign not in "+-" or name not in GROUPS:
            raise SystemExit(f"bad variant {part!r}: +GROUP or -GROUP, groups: {', '.join(GROUPS)}")
        if sign == "-" and name in groups:
            groups.remove(name)
        elif sign == "+" and name not in groups:
            groups.append(name)
    return tuple(g for g in GROUPS if g in groups)


def figures(result: dict[str, Any]) -> dict[str, float]:
    """Six-label token F1s, their mean, and the leaks into article."""
    f1 = {lab: float(result["labels"].get(lab, {}).get("token_f1", 0.0)) for lab in SIX}
    out = {**f1, "mean6": float(np.mean(list(f1.values())))}
    out.update({f"leak {lab}": float(result["leak"].get(lab, 0.0)) for lab in LEAKS})
    return out


def run_variant(spec: str, k: int, screen: bool, cache: PreparedCache) -> dict[str, Any]:
    """CV figures of one variant: the model (and, unless screening, the combined labeller)."""
    cfg = load_config(DEFAULT_CONFIG)
    fcfg = FeatureConfig(groups=variant_groups(spec))
    t0 = time.perf_counter()
    oof = out_of_fold(GOLD_TAXONOMY, cfg, k, [GOLD_DEV, SHARED_DATA / "gold-seed.jsonl"],
                      feature_config=fcfg, tune_folds=0 if screen else 3, cache=cache)
    out: dict[str, Any] = {"variant": spec, "seconds": round(time.perf_counter() - t0)}
    for mode in ("model",) if screen else ("model", "combined"):
        labelled = oof.labelled(cfg, mode)
        out[mode] = figures(evaluate_gold(GOLD_TAXONOMY, cfg, predict=table_predictor(labelled)))
    return out


def format_row(name: str, fig: dict[str, float]) -> str:
    """One table row: six F1s, the mean, four leaks."""
    cols = [*SIX, "mean6", *(f"leak {x}" for x in LEAKS)]
    return f"{name:<28}" + "".join(f"{fig[c]:>9.3f}" for c in cols)


def main() -> None:
    """Run each variant, print the table (and write JSON when asked)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("variants", nargs="*", default=["base"])
    ap.add_argument("--cv", type=int, default=5)
    ap.add_argument("--screen", action="store_true", help="model alone, no inner CV")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    cache = PreparedCache(default_cache_dir())
    head = f"{'variant / mode':<28}" + "".join(
        f"{c[:8]:>9}" for c in [*SIX, "mean6", *(f"lk {x[:5]}" for x in LEAKS)])
    print(head)
    results = []
    for spec in args.variants:
        r = run_variant(spec, args.cv, args.screen, cache)
        results.append(r)
        for mode in ("model", "combined"):
            if mode in r:
                print(format_row(f"{spec} / {mode}", r[mode]), flush=True)
        print(f"  ({r['seconds']} s)", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
