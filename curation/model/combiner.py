"""The contextual combiner: model and rules combined with the page around each segment
(stacked sequential learning).

The linear stacker (model/stacker.py) decides each segment's label from that segment's own
scores. A person also looks around: a caption sits next to an image, just before or inside
the story; an ad block's neighbours are ads and furniture; teaser cards repeat one template.
This combiner sees, besides the stacker's inputs (log class probabilities, body log-odds, one
indicator per rule vote), the class probabilities of the segments +-1..3 away, the mean
probabilities of the segment's same-template siblings on the page, where the segment lies
relative to the story's run of confident body text, and the segment's dense features (image
adjacency, link density, template repetition, heading level...). It is fitted, like the body
stage, on out-of-fold scores (scores the heads gave to sites they were not trained on), so
what it learns about the neighbours' scores holds on an unseen site.

Two models read these inputs and their probabilities are averaged (TREE_SHARE): small
gradient-boosted trees, which use the context best but, with leaves of at least 40 rows, let
rare labels fall back to article (captions leaked into article), and a regularised linear
model, which keeps rare labels apart but reads the context less well. Their average scores
better on unseen sites than either (site-grouped CV on the taxonomy pages: mean token F1
0.768 trees, 0.759 linear, 0.779 averaged; caption leak into article .373, .140, .195).
In the average the trees need fewer, larger steps: 80 iterations at rate 0.12 score as well
as 200 at 0.05 (mean 0.785 against 0.779) and cost 560 trees per row instead of 1,400.
The averaged probabilities are over-confident on unseen sites; a temperature fitted on
out-of-fold outputs (each fold's rows scored by a combiner fitted without that fold's sites)
makes the confidence mean what it says.

It is fitted on the fully labelled pages alone. A page annotated for its main text only says
which rows are article, not what the others are; its article rows without the others taught
the combiner that a segment is article far more often than pages have it (gold-dev's pages
add 752 article rows to the taxonomy pages' 1,219, and none of their 1,034 others), and the
leaks into article came from there. Site-grouped CV on the taxonomy pages, with those rows
and without: leak of caption, ad and teaser into article .184 / .212 / .222 against .122 /
.174 / .149, six-label mean .780 against .783; Scrapinghub article token F1 .966 against .961
(its main-text gold counts most captions as the story's). Those pages still train the heads
and the body stage, which decide article or not.

A rule's weight (`rules report`) is measured, not read from a coefficient: on the training
rows where the rule voted, the mean change of the (combined, calibrated) probability of the
rule's label when the rule's vote indicator is switched off (the other inputs unchanged)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from curation.model.arrays import Bools, Floats, Ints, Labels
from curation.model.blocks import predict_proba_blocked
from curation.model.body import Rows, page_bounds
from curation.model.features import DENSE_NAMES
from curation.model.stacker import stack_features
from curation.taxonomy import NOT_ARTICLE

_WORDS = DENSE_NAMES.index("log_words")
SHIFTS = (-3, -2, -1, 1, 2, 3)
TREE_SHARE = 0.3  # the trees' share of the averaged probabilities; the linear model's: the rest
LINEAR_C = 0.1  # the linear model's inverse regularisation (over standardised inputs)


def context_columns(proba: Floats, p_body: Floats, rows: Rows, dense: Floats) -> Floats:
    """Per row: its neighbours' class probabilities (0 past the page's edge, with a flag per
    shift), its same-template siblings' mean probabilities (self excluded) and their count,
    its place against the page's run of confident body text, and its dense features."""
    n, k = proba.shape
    near = {s: np.zeros((n, k)) for s in SHIFTS}
    has = np.zeros((n, len(SHIFTS)))
    siblings, count = np.zeros((n, k)), np.zeros(n)
    place = np.zeros((n, 4))
    words = np.expm1(dense[:, _WORDS] * np.log1p(1000)) if n else np.zeros(0)
    for a, b in page_bounds(rows.page):
        m, pp = b - a, proba[a:b]
        for j, s in enumerate(SHIFTS):
            if abs(s) >= m:
                continue
            if s > 0:
                near[s][a : b - s], has[a : b - s, j] = pp[s:], 1.0
            else:
                near[s][a - s : b], has[a - s : b, j] = pp[:s], 1.0
        t = rows.template[a:b]
        cnt = np.bincount(t)
        sums = np.column_stack([np.bincount(t, weights=pp[:, c], minlength=len(cnt))
                                for c in range(k)])
        others = np.maximum(cnt[t] - 1, 1)[:, None]
        siblings[a:b] = np.where((cnt[t] > 1)[:, None], (sums[t] - pp) / others, 0.0)
        count[a:b] = cnt[t]
        place[a:b] = _place(p_body[a:b], words[a:b])
    cols = [near[s] for s in SHIFTS] + [has, siblings, np.log1p(count)[:, None], place, dense]
    return np.hstack(cols) if n else np.zeros((0, sum(c.shape[1] for c in cols)))


def _place(pb: Floats, words: Floats) -> Floats:
    """(m, 4): distance (clipped) to the first and to the last confident body row, inside the
    run or not, and the share of the page's body mass before the row."""
    m = len(pb)
    strong = np.flatnonzero((pb > 0.5) & (words >= 15))
    if not len(strong):
        strong = np.flatnonzero(pb > 0.5)
    idx = np.arange(m)
    out = np.zeros((m, 4))
    if len(strong):
        out[:, 0] = np.clip(idx - strong[0], -20, 20)
        out[:, 1] = np.clip(idx - strong[-1], -20, 20)
        out[:, 2] = (idx >= strong[0]) & (idx <= strong[-1])
    else:
        out[:, 0], out[:, 1] = -30.0, 30.0
    mass = pb * words
    out[:, 3] = (np.cumsum(mass) - mass) / max(float(mass.sum()), 1e-9)
    return out


def combiner_inputs(proba: Floats, p_body: Floats, votes: Floats, rows: Rows,
                    dense: Floats) -> Floats:
    """The stacker's own inputs followed by the context columns."""
    return np.hstack([stack_features(proba, p_body, votes),
                      context_columns(proba, p_body, rows, dense)])


class ContextCombiner:
    """The fitted contextual combiner; `with_body` is always true (P(body) is an input).

    *model*: the trees; *linear*: the linear model (None in files from before the average:
    the trees alone) and *linear_range* the lowest and highest training value of each input
    (2 rows), which its inputs are clipped to; *temperature*: divides the log probabilities
    (1: none)."""

    with_body = True

    def __init__(self, model: Any, labels: Sequence[str], rule_names: Sequence[str],
                 weights: dict[str, float], linear: LogisticRegression | None = None,
                 tree_share: float = 1.0, temperature: float = 1.0,
                 linear_range: Floats | None = None) -> None:
        self.model = model
        self.labels = list(labels)
        self.rule_names = list(rule_names)
        self.weights = dict(weights)
        self.linear = linear
        self.tree_share = tree_share
        self.temperature = temperature
        self.linear_range = linear_range

    def predict_proba(self, proba: Floats, p_body: Floats, votes: Floats, rows: Rows,
                      dense: Floats) -> Floats:
        """(n, len(labels)) combined probabilities (0 for labels it never saw)."""
        if not len(proba):
            return np.zeros((0, len(self.labels)))
        return self._full(combiner_inputs(proba, p_body, votes, rows, dense))

    def _full(self, feats: Floats) -> Floats:
        return soften(self.raw(feats), self.temperature)

    def raw(self, feats: Floats) -> Floats:
        """The averaged probabilities before the temperature, columns in `labels` order."""
        out = self.tree_share * self._columns(self.model, predict_proba_blocked(self.model, feats))
        if self.linear is not None:
            # a page unlike every training page must not push a linear score without bound
            # (trees are bounded by their leaves; a linear score is not)
            inputs = feats if self.linear_range is None else np.clip(
                feats, self.linear_range[0], self.linear_range[1])
            out += (1 - self.tree_share) * self._columns(self.linear,
                                                         self.linear.predict_proba(inputs))
        return out

    def _columns(self, model: Any, p: Floats) -> Floats:
        out = np.zeros((len(p), len(self.labels)))
        for k, lab in enumerate(model.classes_):
            out[:, self.labels.index(str(lab))] = p[:, k]
        return out

    def rule_weights(self) -> dict[str, float]:
        """Each rule's measured pull towards its label (module docstring)."""
        return dict(self.weights)


def soften(p: Floats, temperature: float) -> Floats:
    """Probabilities with their log divided by *temperature* (> 1: less sure), renormalised;
    labels at 0 stay 0 and the order of the labels in a row is kept."""
    if temperature == 1.0 or not len(p):
        return p
    logp = np.log(np.maximum(p, 1e-300)) / temperature
    out = np.where(p > 0, np.exp(logp - logp.max(axis=1, keepdims=True)), 0.0)
    total: Floats = np.maximum(out.sum(axis=1, keepdims=True), 1e-300)
    return out / total


def fit_temperature(p: Floats, truth: Ints) -> float:
    """The temperature that minimises the log loss of *p* (rows) for labels *truth*."""
    from scipy.optimize import minimize_scalar

    picked = np.arange(len(truth))

    def loss(t: float) -> float:
        return float(-np.mean(np.log(np.maximum(soften(p, t)[picked, truth], 1e-12))))

    return float(minimize_scalar(loss, bounds=(0.25, 10.0), method="bounded").x)


def _estimator() -> Any:
    """Small, regularised trees: they must generalise across sites, not memorise pages."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        max_iter=80, learning_rate=0.12, max_leaf_nodes=15, min_samples_leaf=40,
        l2_regularization=1.0, early_stopping=False, random_state=0,
    )


def _fit_linear(feats: Floats, target: Labels, weight: Floats) -> LogisticRegression:
    """L2 logistic regression over standardised inputs, returned with the scaling folded into
    its coefficients (the same probabilities from the raw inputs)."""
    mean = feats.mean(axis=0)
    scale = feats.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=LINEAR_C, max_iter=3000)
    model.fit((feats - mean) / scale, target, sample_weight=weight)
    model.coef_ = model.coef_ / scale
    model.intercept_ = model.intercept_ - model.coef_ @ mean
    return model


def vote_weights(combiner: ContextCombiner, feats: Floats, votes: Floats,
                 max_rows: int = 2000) -> dict[str, float]:
    """Per rule, on the rows of *feats* where it voted (at most *max_rows* of them, evenly
    spaced: a mean, not a fit): the mean change of P(its label) when its vote indicator is set
    to 0; 0 for a rule that never voted or whose label the combiner never saw."""
    from curation.label.rules import RULES

    offset = len(combiner.labels) + 1  # log probabilities, then the body log-odds
    out: dict[str, float] = {}
    for j, name in enumerate(combiner.rule_names):
        label = RULES.get(name).label if name in RULES else None
        voted = np.flatnonzero(votes[:, j] > 0)
        if label not in combiner.labels or not len(voted):
            out[name] = 0.0
            continue
        if len(voted) > max_rows:
            voted = voted[np.linspace(0, len(voted) - 1, max_rows).astype(np.int64)]
        k = combiner.labels.index(label)
        on = feats[voted]
        off = on.copy()
        off[:, offset + j] = 0.0
        out[name] = float(np.mean(combiner._full(on)[:, k] - combiner._full(off)[:, k]))
    return out


def fit_combiner(
    proba: Floats, p_body: Floats, votes: Floats, rows: Rows, dense: Floats,
    target: Labels, weight: Floats, labels: Sequence[str], rule_names: Sequence[str],
    fold: Ints | None = None,
) -> ContextCombiner | None:
    """Fit on the rows whose *target* is one of *labels* (all rows give context: *rows* holds
    whole pages); None when fewer than two labels occur. With *fold* (each row's site fold,
    -1: none), the temperature is fitted on the folds' out-of-fold outputs."""
    use = np.isin(target, list(labels)) & fully_typed_pages(target, rows)
    if len(set(target[use])) < 2:
        return None
    feats = combiner_inputs(proba, p_body, votes, rows, dense)
    combiner = _fit_blend(feats, use, target, weight, labels, rule_names)
    if fold is not None:
        combiner.temperature = _out_of_fold_temperature(feats, use, target, weight, labels,
                                                        rule_names, fold)
    combiner.weights = vote_weights(combiner, feats[use], votes[use])
    return combiner


def fully_typed_pages(target: Labels, rows: Rows) -> Bools:
    """Rows of pages whose every known row has a label (taxonomy pages): on a page annotated
    for its main text only, the non-article rows are unknown, so its article rows alone would
    teach the combiner that a segment is article far more often than it is."""
    coarse = np.zeros(len(target), dtype=bool)
    for start, end in page_bounds(rows.page):
        coarse[start:end] = bool(np.any(target[start:end] == NOT_ARTICLE))
    return ~coarse


def _fit_blend(feats: Floats, use: Bools, target: Labels, weight: Floats,
               labels: Sequence[str], rule_names: Sequence[str]) -> ContextCombiner:
    x, y, w = feats[use], target[use].astype(str), weight[use]  # one copy of the rows
    trees = _estimator().fit(x, y, sample_weight=w)
    linear = _fit_linear(x, y, w)
    seen = np.vstack([x.min(axis=0), x.max(axis=0)])
    return ContextCombiner(trees, labels, rule_names, {}, linear, TREE_SHARE,
                           linear_range=seen)


def _out_of_fold_temperature(feats: Floats, use: Bools, target: Labels, weight: Floats,
                             labels: Sequence[str], rule_names: Sequence[str],
                             fold: Ints) -> float:
    """The temperature fitted on each fold's rows as scored by a combiner fitted on the other
    folds (1 when no fold's training part has two labels)."""
    parts: list[Floats] = []
    truths: list[Ints] = []
    for f in range(int(fold.max()) + 1):
        train = use & (fold != f) & (fold >= 0)
        test = use & (fold == f)
        if not test.any() or len(set(target[train])) < 2:
            continue
        inner = _fit_blend(feats, train, target, weight, labels, rule_names)
        p = inner.raw(feats[test])
        seen = np.isin(target[test], [str(c) for c in inner.model.classes_])
        parts.append(p[seen])
        truths.append(np.array([labels.index(t) for t in target[test][seen]], dtype=np.int64))
    if not parts:
        return 1.0
    return fit_temperature(np.vstack(parts), np.concatenate(truths))
