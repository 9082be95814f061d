"""Combine rule votes: weighted sum per label, winner = prelabel, confidence from the margin."""

from __future__ import annotations

import numpy as np

from curation.label.rules import ABSTAIN


def weighted_vote(
    votes: np.ndarray, weights: np.ndarray, n_labels: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """votes: (n, r) label codes or ABSTAIN; weights: (r,).

    Returns (winner codes, ABSTAIN where no rule voted; confidence in [0, 1]; score matrix).
    Confidence is the winner's share of the vote weight, shrunk towards 1/n_labels when little
    weight was cast (one weak vote is not a confident label).
    """
    n = votes.shape[0]
    scores = np.zeros((n, n_labels), dtype=np.float64)
    for j in range(votes.shape[1]):
        col = votes[:, j]
        hit = col != ABSTAIN
        if hit.any():
            np.add.at(scores, (np.flatnonzero(hit), col[hit]), weights[j])
    total = scores.sum(axis=1)
    winner = scores.argmax(axis=1)
    top = scores[np.arange(n), winner] if n else np.zeros(0)
    prior = 1.0  # pseudo-weight spread evenly over the labels
    confidence = (top + prior / n_labels) / (total + prior)
    winner = np.where(total > 0, winner, ABSTAIN)
    return winner, confidence, scores
