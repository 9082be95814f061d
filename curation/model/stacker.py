"""The per-segment combiner: a multinomial logistic regression over the model's out-of-fold
class probabilities, its body score and one indicator per rule vote. Models fitted with a body
stage use the contextual combiner (model/combiner.py), which adds the page around each segment;
this one serves older model files and models trained without a body stage.

It is fitted on scores the heads gave to sites they were not trained on (stacking), so it
learns how far the model and each rule can be trusted on an unseen site, not on the sites the
heads memorised. Each rule's coefficient for the label it votes is its weight in the combiner
(`rules report` shows them); the output probabilities are the combined label's confidence."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
from sklearn.linear_model import LogisticRegression

from curation.label.rules import ABSTAIN
from curation.label.votes import votes_matrix
from curation.model.arrays import Bools, Floats, Labels

_EPS = 1e-4


def vote_indicators(table: pa.Table, rule_names: Sequence[str]) -> Floats:
    """(n, rules) 1.0 where the rule voted on the segment (each rule votes one label)."""
    voted: Bools = np.asarray(votes_matrix(table, rule_names) != ABSTAIN)
    return voted.astype(np.float64)


def stack_features(proba: Floats, p_body: Floats | None, votes: Floats) -> Floats:
    """The combiner's inputs: log class probabilities, body log-odds, rule indicators."""
    logp = np.log(np.clip(proba, _EPS, 1.0))
    cols = [logp]
    if p_body is not None:
        pb = np.clip(p_body, _EPS, 1 - _EPS)
        cols.append(np.log(pb / (1 - pb))[:, None])
    cols.append(votes)
    return np.hstack(cols)


class Stacker:
    """The fitted combiner: labels in `classes`, inputs as stack_features builds them."""

    def __init__(self, model: LogisticRegression, labels: Sequence[str],
                 rule_names: Sequence[str], with_body: bool) -> None:
        self.model = model
        self.labels = list(labels)
        self.rule_names = list(rule_names)
        self.with_body = with_body

    def predict_proba(self, proba: Floats, p_body: Floats | None,
                      votes: Floats) -> Floats:
        """(n, len(labels)) combined probabilities (0 for labels it never saw)."""
        out = np.zeros((len(proba), len(self.labels)))
        if not len(proba):
            return out
        feats = stack_features(proba, p_body if self.with_body else None, votes)
        p = self.model.predict_proba(feats)
        for k, lab in enumerate(self.model.classes_):
            out[:, self.labels.index(str(lab))] = p[:, k]
        return out

    def rule_weights(self) -> dict[str, float]:
        """Each rule's coefficient for the label it votes (its pull towards that label, in
        log-odds against the mean of the labels); rules voting a label it never saw: 0."""
        from curation.label.rules import RULES

        offset = len(self.labels) + (1 if self.with_body else 0)
        classes = [str(c) for c in self.model.classes_]
        coef = self.model.coef_
        out: dict[str, float] = {}
        for j, name in enumerate(self.rule_names):
            label = RULES.get(name).label if name in RULES else None
            if label in classes and coef.shape[0] > 1:
                col = coef[:, offset + j]
                out[name] = float(col[classes.index(label)] - col.mean())
            else:
                out[name] = 0.0
        return out


def fit_stacker(
    proba: Floats, p_body: Floats | None, votes: Floats, target: Labels,
    weight: Floats, labels: Sequence[str], rule_names: Sequence[str], c: float = 1.0,
) -> Stacker | None:
    """Fit on rows whose *target* is one of *labels* (out-of-fold *proba*/*p_body*); None when
    fewer than two labels occur."""
    use = np.isin(target, list(labels))
    if len(set(target[use])) < 2:
        return None
    feats = stack_features(proba[use], p_body[use] if p_body is not None else None, votes[use])
    model = LogisticRegression(C=c, max_iter=2000)
    model.fit(feats, target[use].astype(str), sample_weight=weight[use])
    return Stacker(model, labels, rule_names, p_body is not None)
