"""Cross-validation grouped by site: no site is in both the training and the test part.

Every gold page is segmented and pre-labelled once; each fold fits a cleaner on the other
folds' pages (plus extra training files, minus any page of a test site) and predicts its own.
The out-of-fold predictions are then scored by the ordinary evaluator, per mode."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from curation.config import RunConfig
from curation.errors import ConfigError
from curation.evaluate import Predict
from curation.folds import balanced_folds
from curation.gold import iter_gold, read_gold_pages
from curation.label import rule_label_pages
from curation.model.apply import Mode, rule_weights_of, with_prediction
from curation.model.arrays import Floats, Labels
from curation.model.body import rows_of, stack_rows
from curation.model.cache import PreparedCache, features_key, labelled_key
from curation.model.cleaner import Cleaner, dense_columns, fit_matrix, rule_names
from curation.model.data import STAGE, Labelled, label_gold
from curation.model.features import FeatureConfig
from curation.model.stacker import vote_indicators
from curation.model.stream import featurize_chunked
from curation.stats import Stats


class OutOfFold(NamedTuple):
    """Out-of-fold predictions for every segment of the scored gold pages."""

    table: pa.Table
    proba: Floats  # the model's label probabilities
    p_body: Floats  # the model's P(story body)
    cleaner: Cleaner  # the last fold's (labels, thresholds)
    combined: Floats | None  # each fold's combiner's probabilities (None: no combiner)
    target: Labels  # each segment's gold label ("" unknown)
    body_threshold: Floats | None = None  # each segment's fold's (None: the last fold's)

    def labelled(self, cfg: RunConfig, mode: Mode) -> pa.Table:
        """The table labelled by *mode* (rules, model, combined)."""
        return with_prediction(self.table, self.cleaner, self.proba, rule_weights_of(cfg), mode,
                               self.p_body, self.combined, self.body_threshold)


def group_folds(groups: Sequence[str], k: int) -> dict[str, int]:
    """Assign each group to one of *k* folds, largest groups first onto the lightest fold
    (deterministic; folds as even as the group sizes allow)."""
    sizes = Counter(groups)
    if len(sizes) < k:
        raise ConfigError(f"--cv {k} needs at least {k} sites in the gold file, found {len(sizes)}")
    return balanced_folds(sizes, k)


def _drop_pages(lab: Labelled, keep_ids: set[str]) -> Labelled:
    """Unset the targets of segments whose page is not in *keep_ids* (kept for features)."""
    pids = lab.table.column("page_id").to_pylist()
    target = [t if p in keep_ids else None for t, p in zip(lab.target, pids, strict=True)]
    body = [t if p in keep_ids else None for t, p in zip(lab.body or [], pids, strict=True)]
    return Labelled(lab.table, target, lab.group, lab.weight, body)


class Prepared(NamedTuple):
    """The CV inputs: the scored gold file's run first, then the extra training files' runs
    (each run pre-labelled by the rules, with gold targets), and each run's feature matrix."""

    runs: list[Labelled]
    xs: list[sp.csr_matrix]


def prepare(
    gold: Path,
    cfg: RunConfig,
    train_extra: Sequence[Path] = (),
    feature_config: FeatureConfig | None = None,
    stats: Stats | None = None,
    cache: PreparedCache | None = None,
) -> Prepared:
    """Segment, pre-label and featurise *gold* and *train_extra* (from *cache* when it holds
    them: model/cache.py keys them by data, config and code)."""
    stats = stats if stats is not None else Stats()
    fcfg = feature_config or FeatureConfig()
    names = rule_names(cfg)
    paths = [Path(gold), *map(Path, train_extra)]

    def build_runs() -> list[Labelled]:
        files = read_gold_pages(paths, cfg.labels, stats, STAGE)
        eval_pages = list(iter_gold(Path(gold), cfg.labels, Stats()))
        kept_eval_ids = {p.page_id for p in files[0]}
        runs = [_drop_pages(label_gold(eval_pages, cfg), kept_eval_ids)]
        return runs + [label_gold(pages, cfg) for pages in files[1:]]

    if cache is None:
        runs = build_runs()
        return Prepared(runs, [featurize_chunked(r.table, fcfg, names) for r in runs])
    key = labelled_key(paths, cfg.model_dump_json())
    runs = cache.labelled(key, build_runs)
    xs = cache.features(features_key(key, fcfg.digest(names)),
                        lambda: [featurize_chunked(r.table, fcfg, names) for r in runs])
    return Prepared(runs, xs)


def out_of_fold(
    gold: Path,
    cfg: RunConfig,
    k: int,
    train_extra: Sequence[Path] = (),
    feature_config: FeatureConfig | None = None,
    stats: Stats | None = None,
    vote_weight: float | None = None,
    tune_folds: int = 3,
    cache: PreparedCache | None = None,
) -> OutOfFold:
    """The gold pages' segments (pre-labelled by the rules), out-of-fold model probabilities,
    body probabilities and combined (model + rules) probabilities for them; also the last
    fold's model (labels, vote weight). *tune_folds* < 2 skips the inner CV (no threshold,
    body stage or combiner: a quicker screen of the model alone)."""
    stats = stats if stats is not None else Stats()
    fcfg = feature_config or FeatureConfig()
    runs, xs = prepare(gold, cfg, train_extra, fcfg, stats, cache)
    names = rule_names(cfg)
    x = sp.vstack(xs, format="csr")
    target = np.array([t or "" for r in runs for t in r.target], dtype=object)
    body = np.array([t or "" for r in runs for t in r.body or []], dtype=object)
    rows = stack_rows([rows_of(r.table) for r in runs])
    weight = np.concatenate([r.weight for r in runs])
    group = np.array([g for r in runs for g in r.group], dtype=object)
    votes = np.vstack([vote_indicators(r.table, names) for r in runs])
    n_eval = runs[0].table.num_rows
    folds = group_folds([g for g in runs[0].group if g], k)
    fold_of = np.array([folds.get(g, -1) for g in group])
    proba = np.zeros((n_eval, len(cfg.labels)))
    p_body = np.zeros(n_eval)
    body_threshold = np.full(n_eval, 0.5)
    combined = np.zeros((n_eval, len(cfg.labels)))
    cleaner: Cleaner | None = None
    for f in range(k):
        test = np.flatnonzero(fold_of[:n_eval] == f)
        train = np.flatnonzero(fold_of != f)
        cleaner = fit_matrix(
            x[train], target[train], weight[train], cfg, fcfg, group=group[train],
            tune_folds=tune_folds, rows=rows.take(train), body_target=body[train],
            votes=votes[train],
        )
        if vote_weight is not None:
            cleaner.vote_weight = vote_weight
        if len(test):
            x_test = x[test]
            heads = cleaner.head_scores(x_test)
            proba[test] = cleaner.predict_proba(x_test, heads)
            p_body[test] = cleaner.predict_body(x_test, rows.take(test), heads)
            body_threshold[test] = cleaner.body_threshold
            if cleaner.stacker is not None:  # each fold's own combiner (it saw no test site)
                combined[test] = cleaner.combine(proba[test], p_body[test], votes[test],
                                                 rows.take(test), dense_columns(x[test]))
        stats.add("cv", f"fold{f}_test_segments", len(test))
        stats.add("cv", f"fold{f}_train_segments", int((target[train] != "").sum()))
        stats.add("cv", f"fold{f}_article_threshold_x1000",
                  round(1000 / (1 + np.exp(-cleaner.article_shift))))
        stats.add("cv", f"fold{f}_body_threshold_x1000", round(1000 * cleaner.body_threshold))
    if cleaner is None:
        raise ConfigError(f"--cv {k}: at least one fold is needed")
    return OutOfFold(runs[0].table, proba, p_body, cleaner,
                     combined if cleaner.stacker is not None else None, target[:n_eval],
                     body_threshold)


def cross_validate(
    gold: Path,
    cfg: RunConfig,
    k: int,
    modes: Sequence[Mode] = ("rules", "model", "combined"),
    train_extra: Sequence[Path] = (),
    page_prefix: str | None = None,
    feature_config: FeatureConfig | None = None,
    vote_weight: float | None = None,
    tune_folds: int = 3,
) -> dict[str, dict[str, Any]]:
    """Grouped K-fold scores of *gold* for each mode (the evaluator's result dicts)."""
    from curation.evaluate import evaluate_gold

    stats = Stats()
    oof = out_of_fold(gold, cfg, k, train_extra, feature_config, stats, vote_weight, tune_folds)
    out: dict[str, dict[str, Any]] = {}
    for mode in modes:
        labelled = oof.labelled(cfg, mode)
        out[mode] = evaluate_gold(
            gold, cfg, predict=table_predictor(labelled), page_prefix=page_prefix
        )
        out[mode]["cv"] = {"folds": k, **stats.counts.get("cv", {})}
    return out


def table_predictor(table: pa.Table) -> Predict:
    """A `predict` for evaluate_gold that looks pages up in an already labelled table."""

    def predict(pages: list[dict[str, Any]]) -> pa.Table:
        ids = pa.array([p["page_id"] for p in pages], pa.string())
        return table.filter(pc.is_in(table.column("page_id"), value_set=ids))

    return predict


def model_predictor(cfg: RunConfig, cleaner: Cleaner, mode: Mode) -> Predict:
    """A `predict` for evaluate_gold: the rules, then the cleaner in *mode*."""
    from curation.model.apply import apply_model

    weights = rule_weights_of(cfg)

    def predict(pages: list[dict[str, Any]]) -> pa.Table:
        return apply_model(rule_label_pages(pages, cfg), cleaner, weights, mode)

    return predict
