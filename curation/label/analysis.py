"""Rule analysis against gold pages, in the shape of Snorkel's `LFAnalysis.lf_summary`.

`collect_gold_votes` runs our pipeline on gold pages and gives each of OUR segments the gold
label of the block holding most of its tokens (`curation.gold.largest_block_targets`). How much
gold knows depends on the page's annotation: `taxonomy` pages give the exact label; on
`main_only` pages a non-article block is only known to be "not article" (NOT_ARTICLE), and on
`partial_snippets` pages only the listed blocks are known (the rest is UNKNOWN). A vote is
*correct* when it agrees with gold at the granularity gold has: an `ad` vote on a main_only
boilerplate block counts as correct ("not article"), and is scored exactly only on taxonomy
pages (the `exact` columns)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from curation.config import RunConfig
from curation.gold import (
    GoldPage,
    gold_pages_with_datasets,
    largest_block_targets,
    page_record,
    page_site,
)
from curation.label import active_rules, rule_label_pages
from curation.label.combine import rule_weights, weighted_vote
from curation.label.features import Codes, Column, Floats, Ints, Mask
from curation.label.rules import ABSTAIN, CODE
from curation.label.votes import votes_matrix
from curation.stats import Stats
from curation.taxonomy import LABELS
from curation.taxonomy import NOT_ARTICLE as NOT_ARTICLE_LABEL

UNKNOWN = -1  # gold does not cover this segment
NOT_ARTICLE = -2  # gold says: boilerplate of some kind (main_only, partial "other")
ART = CODE["article"]


@dataclass
class GoldVotes:
    """Per segment of ours on gold pages: every rule's vote, the gold label, where it came from."""

    rules: list[str]
    rule_label: Codes  # (r,) label code each rule votes for
    weights: Floats  # (r,) weights in effect
    votes: Codes  # (n, r) label code or ABSTAIN
    gold: Codes  # (n,) label code, NOT_ARTICLE or UNKNOWN
    exact_page: Mask  # (n,) the page's gold is complete with exact labels (taxonomy)
    confidence: Floats  # (n,) confidence as the pipeline wrote it (calibrated if configured)
    n_tokens: Ints
    dataset: Column  # (n,) str
    group: Column  # (n,) str: site
    page: Column  # (n,) str: page id
    config: RunConfig | None = None  # the run config the votes came from

    @property
    def n(self) -> int:
        """Number of segments."""
        return int(self.votes.shape[0])

    def combine(self, weights: Floats | None = None) -> tuple[Ints, Floats]:
        """(prelabel codes with no-vote -> other, raw confidence) under *weights*.

        Stage-2 rules saw the stage-1 labels of the pipeline's weights; re-weighting here does
        not re-run them (tag first, filter later)."""
        w = self.weights if weights is None else weights
        winner, conf, _ = weighted_vote(self.votes, w, len(LABELS))
        return np.where(winner == ABSTAIN, CODE["other"], winner), conf

    def select(self, mask: Mask) -> GoldVotes:
        """The segments where *mask* is true."""
        cols = ("votes", "gold", "exact_page", "confidence", "n_tokens", "dataset", "group", "page")
        parts = {c: getattr(self, c)[mask] for c in cols}
        return GoldVotes(self.rules, self.rule_label, self.weights, **parts, config=self.config)


def correct_for(label: NDArray[np.integer[Any]], gold: Codes) -> tuple[Mask, Mask]:
    """(known, correct) of predicted/voted label codes against gold codes.

    >>> k, c = correct_for(np.array([0, 6, 0, 6]), np.array([0, -2, -2, -1]))
    >>> k.tolist(), c.tolist()
    ([True, True, True, False], [True, True, False, False])
    """
    known = gold != UNKNOWN
    coarse = gold == NOT_ARTICLE
    correct = np.where(coarse, label != ART, label == gold) & known
    return known, correct


def _segment_gold(page: GoldPage, texts: list[str]) -> tuple[list[int], list[int]]:
    """(gold code, token count) for each of our segments (*texts*, in page order)."""
    targets, sizes = largest_block_targets(page, texts)
    codes = [UNKNOWN if t is None else NOT_ARTICLE if t == NOT_ARTICLE_LABEL else CODE[t]
             for t in targets]
    return codes, sizes


def collect_gold_votes(
    paths: Sequence[Path], cfg: RunConfig, stats: Stats | None = None, batch_pages: int = 64
) -> GoldVotes:
    """Label the gold pages of *paths* with the rules and line up votes with gold labels."""
    stats = stats if stats is not None else Stats()
    rules = active_rules(cfg)
    names = [r.name for r in rules]
    parts: dict[str, list[Any]] = {
        k: [] for k in ("votes", "gold", "exact", "conf", "tok", "dataset", "group", "page")
    }
    batch: list[tuple[GoldPage, str]] = []

    def flush() -> None:
        table = rule_label_pages([page_record(p) for p, _ in batch], cfg)
        pid = np.asarray(table.column("page_id").to_numpy(zero_copy_only=False)).astype(str)
        texts = table.column("text").to_pylist()
        parts["votes"].append(votes_matrix(table, names))
        parts["conf"].append(table.column("confidence").to_numpy(zero_copy_only=False))
        for page, dataset in batch:
            idx = np.flatnonzero(pid == page.page_id)  # pages are contiguous, in position order
            codes, toks = _segment_gold(page, [texts[i] for i in idx])
            parts["gold"].append(np.array(codes, dtype=np.int8))
            parts["tok"].append(np.array(toks, dtype=np.int64))
            m = len(idx)
            parts["exact"].append(np.full(m, page.annotation == "taxonomy"))
            parts["dataset"].append(np.full(m, dataset, dtype=object))
            parts["group"].append(np.full(m, page_site(page), dtype=object))
            parts["page"].append(np.full(m, page.page_id, dtype=object))
        batch.clear()

    for item in gold_pages_with_datasets(paths, cfg.labels, stats):
        batch.append(item)
        if len(batch) >= batch_pages:
            flush()
    if batch:
        flush()

    def cat(key: str, dtype: Any) -> Column:
        return np.concatenate(parts[key]) if parts[key] else np.zeros(0, dtype=dtype)

    return GoldVotes(
        rules=names,
        rule_label=np.array([CODE[r.label] for r in rules], dtype=np.int8),
        weights=rule_weights(cfg, rules),
        votes=np.concatenate(parts["votes"])
        if parts["votes"]
        else np.zeros((0, len(names)), dtype=np.int8),
        gold=cat("gold", np.int8),
        exact_page=cat("exact", bool),
        confidence=cat("conf", np.float64).astype(np.float64),
        n_tokens=cat("tok", np.int64),
        dataset=cat("dataset", object).astype(str),
        group=cat("group", object).astype(str),
        page=cat("page", object).astype(str),
        config=cfg,
    )


def _acc(c: int, i: int) -> float | None:
    return round(c / (c + i), 4) if c + i else None


def _by(keys: Column, correct: Mask, wrong: Mask) -> dict[str, list[int]]:
    """{key: [correct, incorrect]} over the segments where either is set."""
    sel = correct | wrong
    out: dict[str, list[int]] = {}
    for k in np.unique(keys[sel]):
        m = keys == k
        out[str(k)] = [int((correct & m).sum()), int((wrong & m).sum())]
    return out


def combiner_weights(cfg: RunConfig | None) -> dict[str, float] | None:
    """Each rule's weight in the fitted combiner of the config's model (prelabel.model, else
    the packaged default cleaner), read from the model file's meta.json (nothing is rebuilt
    from it); None when there is no model or it has no combiner."""
    import json
    import zipfile

    from curation.defaults import default_model_path

    path = default_model_path()
    if cfg is not None and cfg.prelabel.model:
        path = cfg.resolve(cfg.prelabel.model)
    if path is None or not path.is_file() or not zipfile.is_zipfile(path):
        return None
    try:
        with zipfile.ZipFile(path) as zf:
            weights = json.loads(zf.read("meta.json")).get("combiner_rule_weights")
    except (KeyError, ValueError, zipfile.BadZipFile):
        return None
    return {str(k): float(v) for k, v in weights.items()} if isinstance(weights, dict) else None


def lf_summary(gv: GoldVotes, top_conflicts: int = 3) -> list[dict[str, Any]]:
    """One row per rule: Snorkel's polarity, coverage, overlaps, conflicts, correct,
    incorrect, empirical accuracy; plus exact and coarse accuracy, accuracy per dataset and
    site, the rules it conflicts with most, how often its wrong vote won (wrong_wins) and its
    weight in the model's fitted combiner (`combiner_weight`, model/combiner.py; None: no model)."""
    combiner = combiner_weights(gv.config)
    n = max(gv.n, 1)
    voted = gv.votes != ABSTAIN
    n_votes = voted.sum(axis=1)
    pre, _ = gv.combine()
    rows: list[dict[str, Any]] = []
    for j, name in enumerate(gv.rules):
        lab = int(gv.rule_label[j])
        mine = voted[:, j]
        others_differ = np.zeros(gv.n, dtype=np.bool_)
        with_rule: Counter[str] = Counter()
        for k in range(len(gv.rules)):
            if k == j:
                continue
            diff = mine & voted[:, k] & (gv.votes[:, k] != lab)
            if diff.any():
                others_differ |= diff
                with_rule[gv.rules[k]] = int(diff.sum())
        known, correct = correct_for(np.full(gv.n, lab), gv.gold)
        right = mine & correct
        wrong = mine & known & ~correct
        exact = mine & gv.exact_page & known
        coarse_ok = np.where(gv.gold == NOT_ARTICLE, lab != ART, (gv.gold == ART) == (lab == ART))
        c, i = int(right.sum()), int(wrong.sum())
        rows.append(
            {
                "rule": name,
                "label": LABELS[lab],
                "weight": round(float(gv.weights[j]), 4),
                "polarity": [LABELS[lab]],
                "votes": int(mine.sum()),
                "coverage": round(float(mine.sum() / n), 4),
                "overlaps": round(float((mine & (n_votes > 1)).sum() / n), 4),
                "conflicts": round(float(others_differ.sum() / n), 4),
                "correct": c,
                "incorrect": i,
                "emp_accuracy": _acc(c, i),
                "exact_accuracy": _acc(int((exact & correct).sum()), int((exact & ~correct).sum())),
                "exact_n": int(exact.sum()),
                "coarse_accuracy": _acc(
                    int((mine & known & coarse_ok).sum()), int((mine & known & ~coarse_ok).sum())
                ),
                "wrong_wins": int((wrong & (pre == lab)).sum()),
                "by_dataset": _by(gv.dataset, right, wrong),
                "by_group": _by(gv.group, right, wrong),
                "conflicts_with": dict(with_rule.most_common(top_conflicts)),
                "combiner_weight": (round(combiner.get(name, 0.0), 3)
                                    if combiner is not None else None),
            }
        )
    return rows


def site_macro_accuracy(by_group: dict[str, list[int]]) -> float | None:
    """Mean of per-site accuracies, so that one big site does not dominate."""
    accs = [c / (c + i) for c, i in by_group.values() if c + i]
    return round(float(np.mean(accs)), 4) if accs else None


def format_summary(rows: list[dict[str, Any]], sort: str = "rule") -> str:
    """The rule summary as a fixed-width terminal table."""
    if sort != "rule":
        rows = sorted(rows, key=lambda r: (r[sort] is None, r[sort] or 0))
    head = (
        f"{'rule':<34}{'label':<11}{'w':>5}{'cov':>7}{'ovl':>7}{'confl':>7}{'right':>7}"
        f"{'wrong':>7}{'acc':>7}{'exact':>7}{'n ex':>6}{'sites':>7}{'wwin':>6}{'comb':>7}"
    )
    lines = [head, "-" * len(head)]

    def f(x: float | None) -> str:
        return f"{x:>7.3f}" if x is not None else f"{'-':>7}"

    for r in rows:
        lines.append(
            f"{r['rule'][:33]:<34}{r['label']:<11}{r['weight']:>5.2f}{r['coverage']:>7.3f}"
            f"{r['overlaps']:>7.3f}{r['conflicts']:>7.3f}{r['correct']:>7}{r['incorrect']:>7}"
            f"{f(r['emp_accuracy'])}{f(r['exact_accuracy'])}{r['exact_n']:>6}"
            f"{f(site_macro_accuracy(r['by_group']))}{r['wrong_wins']:>6}"
            f"{f(r.get('combiner_weight'))}"
        )
    lines.append(
        "cov/ovl/confl: share of all segments; right/wrong: votes on gold-known segments "
        "(not-article gold counts any non-article vote right); exact: taxonomy pages "
        "only; sites: mean per-site accuracy; wwin: wrong votes that won; comb: the rule's "
        "weight in the model's fitted combiner (log-odds towards its label)"
    )
    return "\n".join(lines)
