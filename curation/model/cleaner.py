"""The trained cleaner: two logistic-regression heads over the segment features.

- article head: article versus not, trained on every labelled segment (main-text gold too);
- type head: which non-article label, trained on segments with a specific label (taxonomy
  gold, human labels). Rule votes are features, so it learns when to trust each rule.

P(article) comes from the first head; P(label) = (1 - P(article)) * P(label | not article).
The model file holds JSON metadata and skops-stored estimators (model/store.py: nothing in it
can run code); loading checks its format version, its feature identity, the scikit-learn
version and that this curation still has the rules it learned from."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from curation.config import RunConfig
from curation.errors import ConfigError, SchemaError
from curation.folds import balanced_folds
from curation.model.arrays import Bools, Floats, Ints, Labels
from curation.model.blocks import predict_proba_blocked
from curation.model.body import Rows, context_features, decided_by_p_body, fit_stage, rows_of
from curation.model.combiner import ContextCombiner, fit_combiner, fully_typed_pages
from curation.model.features import (
    DENSE_NAMES,
    FEATURE_CODE_VERSION,
    FeatureConfig,
    SiteCounts,
    featurize,
)
from curation.model.heads import positive, positive_probas
from curation.model.packed import TREES, pack_trees, unpack_trees
from curation.model.stacker import Stacker, fit_stacker, vote_indicators
from curation.taxonomy import ARTICLE, NOT_ARTICLE
from curation.version import __version__

MODEL_FORMAT_VERSION = 4  # 3: JSON + skops file (no pickle); 4: trees packed (model/packed.py)
READABLE_FORMAT_VERSIONS = (3, 4)  # a version-3 file holds its trees unpacked
MODEL_KIND = "curation-cleaner"


@dataclass(frozen=True)
class HeadScores:
    """The heads' probabilities for a feature matrix, per row."""

    article: Floats  # P(article) of the article head, before the tuned shift
    body: Floats | None  # P(story body) of the body head (None: the cleaner has none)
    types: Floats | None  # (n, type classes) P(label | not article) (None: no type head)


@dataclass
class Cleaner:
    """A fitted segment classifier with everything needed to check it is used as trained."""

    labels: list[str]
    feature_config: FeatureConfig
    rule_names: list[str]
    article_head: LogisticRegression
    type_head: OneVsRest | None
    vote_weight: float = 0.8  # model's share of the combined article-or-not vote
    type_weight: float = 0.2  # model's share of the combined which-other-label vote
    article_shift: float = 0.0  # logit of the article threshold chosen by CV on training sites
    body_head: LogisticRegression | None = None  # the story's body versus the rest
    body_stage: Any = None  # contextual stage over the heads' scores (model/body.py)
    body_threshold: float = 0.5  # P(body) from which an article segment is body, not meta
    # the fitted combiner of model and rules: contextual (model/combiner.py) or, in older
    # files and models without a body stage, per segment (model/stacker.py)
    stacker: ContextCombiner | Stacker | None = None
    site_memory: dict[str, Any] = field(default_factory=dict)  # labelled sites (model/adapt.py)
    feature_digest: str = ""
    feature_code_version: int = FEATURE_CODE_VERSION
    format_version: int = MODEL_FORMAT_VERSION
    curation_version: str = __version__
    kind: str = MODEL_KIND
    trained_on: dict[str, Any] = field(default_factory=dict)

    def features(self, table: pa.Table, site_counts: SiteCounts | None = None,
                 norms: Mapping[str, str] | None = None) -> sp.csr_matrix:
        """Feature matrix of a pre-labelled segment table (one run; or page-aligned rows of
        one, with *site_counts* of the whole run and its texts' *norms*: `featurize`)."""
        return featurize(table, self.feature_config, self.rule_names, site_counts, norms)

    def head_scores(self, x: sp.csr_matrix) -> HeadScores:
        """Every head's probabilities for *x*, from one pass over it (model/heads.py)."""
        body = [self.body_head] if self.body_head is not None else []
        types = self.type_head.heads if self.type_head is not None else []
        p = positive_probas([self.article_head, *body, *types], x)
        return HeadScores(
            article=p[:, 0], body=p[:, 1] if body else None,
            types=OneVsRest.normalised(np.ascontiguousarray(p[:, 1 + len(body):]))
            if self.type_head is not None else None)

    def predict_proba(self, x: sp.csr_matrix, heads: HeadScores | None = None) -> Floats:
        """(n, len(labels)) probabilities, columns in `labels` order (*heads*: x's head
        scores, when the caller has them already)."""
        if x.shape[0] == 0:
            return np.zeros((0, len(self.labels)))
        heads = self.head_scores(x) if heads is None else heads
        return self.label_proba(heads.article, heads.types)

    def label_proba(self, p_art: Floats, pt: Floats | None) -> Floats:
        """Label probabilities from the article head's raw score (shifted by the tuned
        threshold here) and the type head's (n, type classes) probabilities."""
        out = np.zeros((len(p_art), len(self.labels)))
        if self.article_shift:
            z = np.log(np.clip(p_art, 1e-9, 1 - 1e-9) / np.clip(1 - p_art, 1e-9, 1))
            p_art = 1 / (1 + np.exp(-(z - self.article_shift)))
        if ARTICLE in self.labels:
            out[:, self.labels.index(ARTICLE)] = p_art
        if pt is not None and self.type_head is not None:
            for k, lab in enumerate(self.type_head.classes_):
                out[:, self.labels.index(str(lab))] = (1 - p_art) * pt[:, k]
        elif "other" in self.labels:
            out[:, self.labels.index("other")] = 1 - p_art
        return out

    def predict_body(self, x: sp.csr_matrix, rows: Rows, heads: HeadScores | None = None
                     ) -> Floats:
        """P(the row is the story's body), per row; *rows* places them in their pages (*heads*:
        x's head scores, when the caller has them already)."""
        if x.shape[0] == 0:
            return np.zeros(0)
        heads = self.head_scores(x) if heads is None else heads
        q = heads.article
        if heads.body is None:
            return q
        p = heads.body
        if self.body_stage is None:
            return p
        feats = context_features(p, q, dense_columns(x), rows)
        return predict_proba_blocked(self.body_stage, feats)[:, 1]

    def combine(self, proba: Floats, p_body: Floats | None, votes: Floats, rows: Rows,
                dense: Floats) -> Floats:
        """The fitted combiner's label probabilities (call only when `stacker` is set)."""
        if self.stacker is None:
            raise ValueError("this cleaner has no fitted combiner")
        if isinstance(self.stacker, ContextCombiner):
            if p_body is None:
                raise ValueError("the contextual combiner needs P(body)")
            return self.stacker.predict_proba(proba, p_body, votes, rows, dense)
        return self.stacker.predict_proba(proba, p_body, votes)

    def combine_table(self, table: pa.Table, proba: Floats, p_body: Floats | None,
                      x: sp.csr_matrix | None = None, rows: Rows | None = None) -> Floats:
        """`combine` for a pre-labelled segment table (one run; *x*, *rows*: its features and
        page layout, when the caller has them already)."""
        x = self.features(table) if x is None else x
        rows = rows_of(table) if rows is None else rows
        if p_body is None:
            p_body = self.predict_body(x, rows)
        return self.combine(proba, p_body, vote_indicators(table, self.rule_names), rows,
                            dense_columns(x))

    def check_usable(self, cfg: RunConfig) -> None:
        """Raise ConfigError when *cfg* cannot give the model the inputs it was trained on."""
        from curation.label import active_rules

        active = {r.name for r in active_rules(cfg)}
        missing = sorted(set(self.rule_names) - active)
        if missing:
            raise ConfigError(
                f"the model was trained with rules that this config does not run: "
                f"{', '.join(missing)}; set prelabel.rules to 'all' (or include them) or retrain"
            )
        extra = sorted(set(self.labels) - set(cfg.voter_labels))
        if extra:
            raise ConfigError(
                f"the model predicts labels {extra} that are not in the config's labels "
                f"{cfg.voter_labels}; retrain with this label set"
            )


def _head(c: float) -> LogisticRegression:
    # liblinear: seconds where lbfgs took minutes on the 2^19 hashed columns
    return LogisticRegression(C=c, max_iter=300, solver="liblinear", random_state=0)


class OneVsRest:
    """One binary head per label, probabilities normalised over labels (liblinear is binary;
    sklearn's OneVsRestClassifier does not pass sample weights without metadata routing)."""

    def __init__(self, c: float) -> None:
        self.c = c
        self.classes_: list[str] = []
        self.heads: list[LogisticRegression] = []

    def fit(self, x: sp.csr_matrix, y: Labels, sample_weight: Floats) -> OneVsRest:
        """Fit one head per label seen in *y*."""
        self.classes_ = sorted({str(v) for v in y})
        self.heads = [_head(self.c).fit(x, y == lab, sample_weight=sample_weight)
                      for lab in self.classes_]
        return self

    def predict_proba(self, x: sp.csr_matrix) -> Floats:
        """(n, classes) probabilities, rows summing to 1."""
        return self.normalised(positive_probas(self.heads, x))

    @staticmethod
    def normalised(p: Floats) -> Floats:
        """The heads' P(True) per row (n, classes), scaled to sum to 1."""
        total: Floats = np.maximum(p.sum(axis=1, keepdims=True), 1e-12)
        return p / total


def rule_names(cfg: RunConfig) -> list[str]:
    """The rules whose votes are features: those the config runs."""
    from curation.label import active_rules

    return sorted(r.name for r in active_rules(cfg))


def fit_matrix(
    x: sp.csr_matrix,
    target: Labels,
    weight: Floats,
    cfg: RunConfig,
    fcfg: FeatureConfig,
    c_article: float = 4.0,
    c_type: float = 4.0,
    type_balance: float = 0.0,
    group: Labels | None = None,
    tune_folds: int = 3,
    rows: Rows | None = None,
    body_target: Labels | None = None,
    votes: Floats | None = None,
) -> Cleaner:
    """Fit on a feature matrix; *target* holds labels, NOT_ARTICLE, or "" (unknown).

    *body_target* says which rows are the story's body ("article"), which are not
    (NOT_ARTICLE or another label) and which are unknown (""); by default *target*.
    With *group* (the site of each row), *tune_folds*-fold CV grouped by site on these rows
    gives out-of-fold head scores: they choose the article threshold and, with *rows* (the
    page and template of each row: all rows of each page, labelled or not), train the
    contextual body stage (curation/model/body.py); with *votes* (the rules' vote indicators
    per row, model/stacker.py), the combiner of model and rules (fitted on the pages whose
    every row has a label: model/combiner.py)."""
    known = target != ""
    if not known.any():
        raise ConfigError("no segment of the training data has a label: nothing to learn from")
    is_art = target == ARTICLE
    if len(set(is_art[known])) < 2:
        raise ConfigError("the training data needs both article and non-article segments")
    body_target = target if body_target is None else body_target
    body_known = body_target != ""
    is_body = body_target == ARTICLE
    article_head = _head(c_article).fit(x[known], is_art[known], sample_weight=weight[known])
    body_head = None
    if len(set(is_body[body_known])) == 2:
        body_head = _head(c_article).fit(x[body_known], is_body[body_known],
                                         sample_weight=weight[body_known])
    typed = known & ~is_art & (target != NOT_ARTICLE)
    type_head = None
    if len(set(target[typed])) >= 2:
        type_head = _fit_types(x, target, typed, weight, c_type, type_balance)
    names = rule_names(cfg)
    cleaner = Cleaner(list(cfg.labels), fcfg, names, article_head, type_head)
    cleaner.body_head = body_head
    cleaner.feature_digest = fcfg.digest(names)
    if group is None or tune_folds < 2:
        return cleaner
    fold = site_folds(group, known, tune_folds)
    if fold is None:
        return cleaner
    q = out_of_fold_scores(x, is_art, known, weight, fold, c_article, article_head)
    if q is None:
        return cleaner
    t = best_threshold(q[known], is_art[known])
    cleaner.article_shift = float(np.log(t / (1 - t)))
    dense = dense_columns(x)
    p_body: Floats | None = None  # out-of-fold P(body), one more input of the combiner
    if rows is not None and body_head is not None:
        p = out_of_fold_scores(x, is_body, body_known, weight, fold, c_article, body_head)
        if p is not None:
            feats = context_features(p, q, dense, rows)
            cleaner.body_stage = fit_stage(feats[body_known], is_body[body_known],
                                           weight[body_known])
            p_body = out_of_fold_stage(feats, is_body, body_known, weight, fold,
                                       cleaner.body_stage)
            # where both labels are known (taxonomy pages with a main-text twin): which of
            # the article rows are the story's body
            typed_article = body_known & is_art & fully_typed_pages(target, rows)
            cleaner.body_threshold = body_threshold(
                p_body, is_body, typed_article & decided_by_p_body(dense))
    if votes is not None and type_head is not None:
        pt = out_of_fold_types(x, target, typed, weight, fold, type_head, c_type, type_balance)
        proba = cleaner.label_proba(q, pt)
        if p_body is not None and rows is not None:
            cleaner.stacker = fit_combiner(proba, p_body, votes, rows, dense, target, weight,
                                           cleaner.labels, names, fold)
        else:
            cleaner.stacker = fit_stacker(proba, p_body, votes, target, weight, cleaner.labels,
                                          names)
    return cleaner


def out_of_fold_stage(feats: Floats, is_body: Bools, known: Bools, weight: Floats,
                      fold: Ints, full: Any) -> Floats:
    """P(body) of each row from a body stage fitted without the row's fold (its inputs are
    already out-of-fold head scores), so the combiner learns how far an unseen site's P(body)
    can be trusted; rows of no fold, or of a fold whose training part lacks a class: *full*."""
    out: Floats = np.asarray(full.predict_proba(feats)[:, 1], dtype=np.float64)
    for f in range(int(fold.max()) + 1):
        train = known & (fold != f) & (fold >= 0)
        test = np.flatnonzero(fold == f)
        if len(test) and len(set(is_body[train])) == 2:
            stage: Any = fit_stage(feats[train], is_body[train], weight[train])
            out[test] = np.asarray(stage.predict_proba(feats[test])[:, 1])
    return out


def _fit_types(x: sp.csr_matrix, target: Labels, typed: Bools, weight: Floats,
               c: float, balance: float) -> OneVsRest:
    # rare labels (ad, caption) weigh more: count ** -balance, mean weight kept
    counts = Counter(target[typed])
    tw = weight[typed] * np.array([counts[t] ** -balance for t in target[typed]])
    tw *= len(tw) / tw.sum()
    return OneVsRest(c).fit(x[typed], target[typed], sample_weight=tw)


def out_of_fold_types(
    x: sp.csr_matrix, target: Labels, typed: Bools, weight: Floats,
    fold: Ints, full: OneVsRest, c: float, balance: float,
) -> Floats:
    """(n, type classes) type-head probabilities, each fold's rows from a head fitted without
    that fold (a fold lacking some class in its training part: the full head's)."""
    out = np.zeros((x.shape[0], len(full.classes_)))
    for f in range(int(fold.max()) + 1):
        test = np.flatnonzero(fold == f)
        train = typed & (fold != f) & (fold >= 0)
        head = full
        if set(target[train]) >= set(full.classes_):
            head = _fit_types(x, target, train, weight, c, balance)
        out[test] = head.predict_proba(x[test])
    rest = np.flatnonzero(fold < 0)
    if len(rest):
        out[rest] = full.predict_proba(x[rest])
    return out


def dense_columns(x: sp.csr_matrix) -> Floats:
    """The dense features (the last columns of a feature matrix) as an array."""
    return np.asarray(x[:, x.shape[1] - len(DENSE_NAMES):].todense())


def site_folds(group: Labels, known: Bools, folds: int) -> Ints | None:
    """Fold of each row, sites kept whole, largest sites first onto the lightest fold (-1: a
    site with no labelled row); None when there are fewer sites than folds."""
    sizes = Counter(group[known])
    if len(sizes) < folds:
        return None
    fold_of = balanced_folds(sizes, folds)
    return np.array([fold_of.get(g, -1) for g in group])


def out_of_fold_scores(
    x: sp.csr_matrix, y: Bools, known: Bools, weight: Floats, fold: Ints,
    c: float, full: LogisticRegression,
) -> Floats | None:
    """Each row's positive score from a head fitted without its fold (rows of no fold: from
    *full*); None when a fold's training part lacks a class."""
    p = positive(full, x)
    for f in range(int(fold.max()) + 1):
        train = known & (fold != f) & (fold >= 0)
        if len(set(y[train])) < 2:
            return None
        test = np.flatnonzero(fold == f)
        p[test] = positive(_head(c).fit(x[train], y[train], sample_weight=weight[train]),
                            x[test])
    return p


def best_threshold(p: Floats, y: Bools) -> float:
    """The score threshold with the best F1 of *y*; among equally good ones, the one nearest
    0.5 (the model's own)."""
    grid = np.round(np.arange(0.2, 0.801, 0.025), 3)
    f1 = [2 * (y & (p >= t)).sum() / max((p >= t).sum() + y.sum(), 1) for t in grid]
    best = max(f1)
    return float(min((t for t, v in zip(grid, f1, strict=True) if v >= best - 1e-9),
                     key=lambda t: abs(t - 0.5)))


# fewer rows of either kind than this leave the body threshold at 0.5
MIN_THRESHOLD_ROWS = 20


def body_threshold(p_body: Floats, is_body: Bools, decided: Bools) -> float:
    """The P(body) threshold with the best body F1, out of fold, on the *decided* rows: the
    short article rows whose part it decides (a headline, byline or dateline is meta; a
    sub-head, a list item or a quoted post inside the story is body). Fitted, not 0.5: the
    body stage learns P(body) over every row of a page, most of them menus and teasers far
    from any story. 0.5 when either kind has fewer than MIN_THRESHOLD_ROWS rows."""
    y = is_body[decided]
    if min(int(y.sum()), int((~y).sum())) < MIN_THRESHOLD_ROWS:
        return 0.5
    return best_threshold(p_body[decided], y)


def article_threshold(
    x: sp.csr_matrix,
    is_art: Bools,
    known: Bools,
    weight: Floats,
    group: Labels,
    c_article: float,
    folds: int,
) -> float:
    """The P(article) threshold with the best article segment F1 out-of-fold (folds grouped
    by site); 0.5 when there are too few sites to tell."""
    fold = site_folds(group, known, folds)
    if fold is None:
        return 0.5
    full = _head(c_article).fit(x[known], is_art[known], sample_weight=weight[known])
    p = out_of_fold_scores(x, is_art, known, weight, fold, c_article, full)
    return 0.5 if p is None else best_threshold(p[known], is_art[known])


_ESTIMATOR_FIELDS = ("article_head", "body_head", "body_stage")
_TREE_FIELDS = ("body_stage", "stacker")  # gradient-boosted: stored packed


def save(cleaner: Cleaner, path: Path) -> None:
    """Write the model file atomically (curation/model/store.py: JSON + skops, no pickle)."""
    from dataclasses import asdict

    from curation.model.store import write_model

    meta = {
        "kind": cleaner.kind, "format_version": cleaner.format_version,
        "curation_version": cleaner.curation_version, "labels": cleaner.labels,
        "feature_config": asdict(cleaner.feature_config), "rule_names": cleaner.rule_names,
        "feature_digest": cleaner.feature_digest,
        "feature_code_version": cleaner.feature_code_version,
        "vote_weight": cleaner.vote_weight, "type_weight": cleaner.type_weight,
        "article_shift": cleaner.article_shift, "body_threshold": cleaner.body_threshold,
        "trained_on": cleaner.trained_on, "site_memory": cleaner.site_memory,
        "type_classes": cleaner.type_head.classes_ if cleaner.type_head else None,
        "type_c": cleaner.type_head.c if cleaner.type_head else None,
    }
    estimators: dict[str, Any] = {k: _compact(getattr(cleaner, k)) for k in _ESTIMATOR_FIELDS}
    estimators["type_heads"] = ([_compact(h) for h in cleaner.type_head.heads]
                                if cleaner.type_head else None)
    estimators["stacker"] = cleaner.stacker.model if cleaner.stacker else None
    if isinstance(cleaner.stacker, ContextCombiner) and cleaner.stacker.linear is not None:
        estimators["stacker_linear"] = cleaner.stacker.linear
        estimators["stacker_linear_range"] = cleaner.stacker.linear_range
        meta["combiner_tree_share"] = cleaner.stacker.tree_share
    if isinstance(cleaner.stacker, ContextCombiner):
        meta["combiner_temperature"] = cleaner.stacker.temperature
    meta["stacker_with_body"] = cleaner.stacker.with_body if cleaner.stacker else None
    meta["stacker_kind"] = (None if cleaner.stacker is None else
                            "context" if isinstance(cleaner.stacker, ContextCombiner) else "linear")
    if cleaner.stacker:  # readable without rebuilding anything (`rules report`)
        meta["combiner_rule_weights"] = cleaner.stacker.rule_weights()
    for key in _TREE_FIELDS:
        est, trees = pack_trees(estimators[key])
        if trees is not None:
            estimators[key], estimators[key + TREES] = est, trees
    write_model(Path(path), meta, estimators)


def _compact(est: Any) -> Any:
    """A linear head with float32 weights (half the file; predictions agree to ~1e-6)."""
    import copy

    if not isinstance(est, LogisticRegression):
        return est
    out = copy.copy(est)
    out.coef_ = est.coef_.astype(np.float32)
    return out


def load(path: Path) -> Cleaner:
    """Read a model file, refusing one from another format, feature or scikit-learn version,
    and any file that is not a model file (pickles included: they could run code)."""
    from curation.model.store import check_sklearn, read_estimators, read_meta

    path = Path(path)
    meta, blob = read_meta(path)
    if meta.get("kind") != MODEL_KIND:
        raise SchemaError(f"{path} is not a curation model file; make one with `curation train`")
    found = meta.get("format_version")
    if found not in READABLE_FORMAT_VERSIONS:
        raise SchemaError(
            f"{path}: model format version {found} (curation "
            f"{meta.get('curation_version', '?')}); this curation {__version__} "
            f"reads versions {', '.join(map(str, READABLE_FORMAT_VERSIONS))}: retrain with "
            "`curation train`"
        )
    try:
        fcfg = FeatureConfig(**meta["feature_config"])
        rules = [str(r) for r in meta["rule_names"]]
        code_version = int(meta["feature_code_version"])
        digest = str(meta["feature_digest"])
    except (KeyError, TypeError, ValueError) as exc:
        raise SchemaError(f"{path}: incomplete model metadata ({exc}); retrain with "
                          "`curation train`") from None
    if code_version != FEATURE_CODE_VERSION or digest != fcfg.digest(rules):
        raise SchemaError(
            f"{path}: the model was trained on feature version {code_version} "
            f"(digest {digest}); this curation computes feature version "
            f"{FEATURE_CODE_VERSION}: its predictions would be wrong, retrain with `curation train`"
        )
    from curation.label.rules import RULES

    gone = [r for r in rules if r not in RULES]
    if gone:
        raise SchemaError(
            f"{path}: the model learned from rules this curation no longer has: "
            f"{', '.join(gone)}; retrain with `curation train`"
        )
    check_sklearn(path, meta)
    est = read_estimators(path, blob)
    for key in _TREE_FIELDS:
        if est.get(key + TREES) is not None:
            try:
                est[key] = unpack_trees(est[key], est[key + TREES])
            except (KeyError, TypeError, ValueError) as exc:
                raise SchemaError(f"{path}: damaged trees of {key} ({exc}); retrain with "
                                  "`curation train`") from None
    type_head = None
    if est.get("type_heads"):
        type_head = OneVsRest(float(meta["type_c"]))
        type_head.classes_ = [str(c) for c in meta["type_classes"]]
        type_head.heads = list(est["type_heads"])
    cleaner = Cleaner(
        [str(x) for x in meta["labels"]], fcfg, rules, est["article_head"], type_head,
        vote_weight=float(meta["vote_weight"]), type_weight=float(meta["type_weight"]),
        article_shift=float(meta["article_shift"]), body_head=est.get("body_head"),
        body_stage=est.get("body_stage"), body_threshold=float(meta["body_threshold"]),
        feature_digest=digest, feature_code_version=code_version,
        curation_version=str(meta.get("curation_version", "")),
        trained_on=dict(meta.get("trained_on") or {}),
        site_memory=dict(meta.get("site_memory") or {}),
    )
    if est.get("stacker") is not None and meta.get("stacker_kind") == "context":
        # files from before the linear part and the temperature: the trees alone, as then
        cleaner.stacker = ContextCombiner(
            est["stacker"], cleaner.labels, rules, dict(meta.get("combiner_rule_weights") or {}),
            est.get("stacker_linear"), float(meta.get("combiner_tree_share", 1.0)),
            float(meta.get("combiner_temperature", 1.0)), est.get("stacker_linear_range"))
    elif est.get("stacker") is not None:  # "linear", or a file from before the kinds
        cleaner.stacker = Stacker(est["stacker"], cleaner.labels, rules,
                                  bool(meta.get("stacker_with_body")))
    return cleaner
