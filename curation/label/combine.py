"""Combine rule votes: weighted sum per label, winner = prelabel, confidence from the margin.

Weights come from the rules, overridden by a fitted weights file (`prelabel.weights_file`,
written by `curation rules fit`) and then by inline `prelabel.weights`. A calibration file
(`prelabel.calibration`, written by `curation rules calibrate`) maps the raw confidence to the
probability that the label is right, measured on gold pages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from curation.config import read_yaml_mapping
from curation.errors import ConfigError
from curation.label.features import Codes, Floats, Ints
from curation.label.rules import ABSTAIN, CODE

if TYPE_CHECKING:
    from curation.config import RunConfig
    from curation.label.rules import Rule

KINDS = ("article", "not_article")  # one calibration map per kind of predicted label


def weighted_vote(
    votes: Codes, weights: Floats, n_labels: int
) -> tuple[Ints, Floats, Floats]:
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


def _read_yaml(path: Path, what: str, command: str) -> dict[str, Any]:
    return read_yaml_mapping(path, f"{what} file", f" (write it with `{command}`)")


@lru_cache(maxsize=8)
def load_weights_file(path: str) -> dict[str, float]:
    """{rule name: weight} from a weights file (`curation rules fit`)."""
    from curation.label.rules import RULES

    data = _read_yaml(Path(path), "rule weights", "curation rules fit")
    weights = data.get("weights")
    if not isinstance(weights, dict):
        raise ConfigError(f"{path}: expected a 'weights' mapping of rule name -> number")
    out: dict[str, float] = {}
    for name, w in weights.items():
        RULES.get(str(name))  # a stale rule name fails with the list of valid ones
        if not isinstance(w, int | float) or w < 0:
            raise ConfigError(f"{path}: weight of {name} must be a number >= 0, got {w!r}")
        out[str(name)] = float(w)
    return out


def rule_weights(cfg: RunConfig, rules: Sequence[Rule]) -> Floats:
    """One weight per rule: inline config weight, else the weights file's, else the rule's."""
    p = cfg.prelabel
    fitted = str(cfg.resolve(p.weights_file)) if p.weights_file else None
    return weights_of(rules, p.weights, fitted)


def weights_of(rules: Sequence[Rule], inline: dict[str, float], weights_file: str | None
               ) -> Floats:
    """One weight per rule: *inline*, else the weights file's, else the rule's own."""
    fitted = load_weights_file(weights_file) if weights_file else {}
    return np.array([inline.get(r.name, fitted.get(r.name, r.weight)) for r in rules],
                    dtype=np.float64)


@dataclass(frozen=True)
class Calibration:
    """Piecewise-linear maps raw confidence -> P(label right), one per predicted-label kind."""

    maps: dict[str, tuple[Floats, Floats]]

    def apply(self, confidence: Floats, winner: Ints) -> Floats:
        """Calibrated confidence for *winner* codes (ABSTAIN counts as not-article)."""
        out = np.asarray(confidence, dtype=np.float64).copy()
        is_article = winner == CODE["article"]
        for kind, sel in (("article", is_article), ("not_article", ~is_article)):
            if kind in self.maps and sel.any():
                x, y = self.maps[kind]
                out[sel] = np.interp(out[sel], x, y)
        return out

    def to_dict(self) -> dict[str, Any]:
        """The maps as YAML-ready lists."""
        return {
            k: {
                "raw": [round(float(v), 6) for v in x],
                "p_correct": [round(float(v), 6) for v in y],
            }
            for k, (x, y) in self.maps.items()
        }


def calibration_from_dict(maps: dict[str, Any], source: str = "calibration") -> Calibration:
    """Validate `{kind: {raw: [...], p_correct: [...]}}` into a Calibration."""
    out: dict[str, tuple[Floats, Floats]] = {}
    for kind, m in maps.items():
        if kind not in KINDS:
            raise ConfigError(f"{source}: unknown map {kind!r}; valid: {', '.join(KINDS)}")
        try:
            x = np.asarray(m["raw"], dtype=np.float64)
            y = np.asarray(m["p_correct"], dtype=np.float64)
        except (KeyError, TypeError, ValueError):
            raise ConfigError(f"{source}: map {kind} needs lists 'raw' and 'p_correct'") from None
        if len(x) == 0 or x.shape != y.shape or np.any(np.diff(x) < 0):
            raise ConfigError(f"{source}: map {kind}: 'raw' must be sorted, same length as y")
        if np.any((y < 0) | (y > 1)) or np.any(np.diff(y) < 0):
            raise ConfigError(f"{source}: map {kind}: 'p_correct' must rise within [0, 1]")
        out[kind] = (x, y)
    return Calibration(out)


@lru_cache(maxsize=8)
def load_calibration(path: str) -> Calibration:
    """The calibration maps from a file written by `curation rules calibrate`."""
    data = _read_yaml(Path(path), "calibration", "curation rules calibrate")
    maps = data.get("maps")
    if not isinstance(maps, dict) or not maps:
        raise ConfigError(f"{path}: expected a 'maps' mapping (article, not_article)")
    return calibration_from_dict(maps, path)
