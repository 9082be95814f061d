"""Fit rule weights and confidence calibration on gold pages (`curation rules fit|calibrate`).

Weights: each rule's accuracy on gold, with every site's votes capped (one big site must not
decide a rule's weight) and smoothed towards 1/2, turned into a log-odds weight. Calibration:
isotonic regression of "prelabel right" on the raw confidence, one map for article labels and
one for the rest, stored as piecewise-linear points (applied in combine.py with np.interp).
Every figure is also given under grouped cross-validation (folds split by site), since numbers
measured on the pages a map was fitted on flatter it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.isotonic import IsotonicRegression

from curation.folds import balanced_folds
from curation.label.analysis import ART, NOT_ARTICLE, GoldVotes, correct_for
from curation.label.combine import Calibration, weighted_vote
from curation.label.features import Floats, Ints, Mask
from curation.taxonomy import LABELS

MIN_EXACT = 200  # exact-gold segments needed to fit the not-article map on exact labels


def ece(confidence: Floats, correct: Mask, bins: int = 10) -> float:
    """Expected calibration error: |accuracy - mean confidence| per equal-width bin, weighted.

    >>> round(ece(np.array([0.9, 0.9, 0.6, 0.6]), np.array([1, 1, 1, 0])), 3)
    0.1
    """
    if len(confidence) == 0:
        return 0.0
    b = np.minimum((np.asarray(confidence) * bins).astype(int), bins - 1)
    y = np.asarray(correct, dtype=np.float64)
    total = 0.0
    for k in np.unique(b):
        m = b == k
        total += m.sum() * abs(y[m].mean() - confidence[m].mean())
    return float(total / len(confidence))


def fit_isotonic(x: Floats, y: Mask) -> tuple[Floats, Floats]:
    """Rising piecewise-linear map x -> P(y) (isotonic regression), as breakpoints."""
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip")
    iso.fit(x, y.astype(np.float64))
    return (np.asarray(iso.X_thresholds_, dtype=np.float64),
            np.asarray(iso.y_thresholds_, dtype=np.float64))


def _fit_sets(gv: GoldVotes, pre: Ints) -> dict[str, tuple[Mask, str]]:
    """Segments each map is fitted on: article predictions on all gold-known segments (their
    rightness is exact everywhere); other predictions on exact-label pages when there are
    enough, since "not article" gold cannot tell an `ad` from a `teaser`."""
    known, _ = correct_for(pre, gv.gold)
    art = known & (pre == ART)
    rest_exact = known & (pre != ART) & gv.exact_page
    if rest_exact.sum() >= MIN_EXACT:
        return {"article": (art, "exact"), "not_article": (rest_exact, "exact")}
    return {"article": (art, "exact"), "not_article": (known & (pre != ART), "coarse")}


def fit_calibration(gv: GoldVotes) -> tuple[Calibration, dict[str, str]]:
    """Calibration maps fitted on all of *gv*, and the scope of the gold each map used."""
    pre, conf = gv.combine()
    _, correct = correct_for(pre, gv.gold)
    maps: dict[str, tuple[Floats, Floats]] = {}
    scopes: dict[str, str] = {}
    for kind, (sel, scope) in _fit_sets(gv, pre).items():
        if sel.sum() >= 20:
            maps[kind] = fit_isotonic(conf[sel], correct[sel])
            scopes[kind] = scope
    return Calibration(maps), scopes


def site_folds(gv: GoldVotes, folds: int = 5) -> list[Mask]:
    """Boolean test masks of up to *folds* folds over all segments, split by site (the same
    assignment as the cleaner's cross-validation: `curation.folds`)."""
    sizes = Counter(gv.group.tolist())
    k = min(folds, len(sizes))
    if k < 2:
        return []
    fold_of = balanced_folds(sizes, k)
    fold = np.array([fold_of[g] for g in gv.group.tolist()], dtype=np.int64)
    return [fold == f for f in range(k)]


def cross_validated(gv: GoldVotes, folds: int = 5) -> Floats:
    """Out-of-fold calibrated confidence per segment (folds split by site)."""
    pre, conf = gv.combine()
    _, correct = correct_for(pre, gv.gold)
    out = conf.copy()
    is_art = pre == ART
    for test in site_folds(gv, folds):
        for kind, (sel, _) in _fit_sets(gv, pre).items():
            train = sel & ~test
            if train.sum() < 20:
                continue
            x, y = fit_isotonic(conf[train], correct[train])
            apply = test & (is_art if kind == "article" else ~is_art)
            out[apply] = np.interp(conf[apply], x, y)
    return out


@dataclass
class CalibrationReport:
    """ECE and accuracy at a confidence threshold, raw vs calibrated, in-sample and CV."""

    rows: list[dict[str, Any]]

    def to_dict(self) -> list[dict[str, Any]]:
        """JSON-ready rows."""
        return self.rows

    def format(self) -> str:
        """A terminal table."""
        head = (f"{'scope':<28}{'confidence':<16}{'segs':>7}{'acc':>7}{'ECE':>7}"
                f"{'n>=t':>7}{'acc>=t':>8}")
        lines = [head, "-" * len(head)]
        for r in self.rows:
            a = r["acc_at_threshold"]
            at = f"{a:>8.3f}" if a is not None else f"{'-':>8}"
            lines.append(f"{r['scope']:<28}{r['confidence']:<16}{r['segments']:>7}"
                         f"{r['accuracy']:>7.3f}{r['ece']:>7.3f}{r['n_at_threshold']:>7}{at}")
        t = self.rows[0]["threshold"] if self.rows else 0.9
        lines.append(f"acc: prelabel right at the granularity gold knows; t = {t}; "
                     "exact: taxonomy pages only; cv: out-of-fold, folds by site")
        return "\n".join(lines)


def calibration_report(
    gv: GoldVotes, cal: Calibration, threshold: float = 0.9, folds: int = 5
) -> CalibrationReport:
    """Raw, calibrated (in-sample) and cross-validated confidence against gold."""
    pre, raw = gv.combine()
    known, correct = correct_for(pre, gv.gold)
    variants = {"raw": raw, "calibrated": cal.apply(raw, pre),
                "calibrated (cv)": cross_validated(gv, folds)}
    scopes = {
        "all gold-known": known,
        "article predictions": known & (pre == ART),
        "exact pages (taxonomy)": known & gv.exact_page,
        "not-article gold blocks": known & (gv.gold == NOT_ARTICLE),
    }
    rows: list[dict[str, Any]] = []
    for scope, sel in scopes.items():
        for name, c in variants.items():
            cs, ys = c[sel], correct[sel]
            hi = cs >= threshold
            rows.append({
                "scope": scope, "confidence": name, "segments": int(sel.sum()),
                "accuracy": round(float(ys.mean()) if len(ys) else 0.0, 4),
                "ece": round(ece(cs, ys), 4), "threshold": threshold,
                "n_at_threshold": int(hi.sum()),
                "acc_at_threshold": round(float(ys[hi].mean()), 4) if hi.any() else None,
            })
    return CalibrationReport(rows)


def site_weights(gv: GoldVotes, sel: Mask, cap: int) -> Floats:
    """Per-segment sample weight: every site counts at most *cap* segments of *sel*."""
    _, inv, counts = np.unique(gv.group, return_inverse=True, return_counts=True)
    per_site = np.bincount(inv, weights=sel.astype(np.float64), minlength=len(counts))
    return np.where(sel, np.minimum(1.0, cap / np.maximum(per_site[inv], 1.0)), 0.0)


def rule_accuracy(gv: GoldVotes, cap: int = 50, prior: float = 4.0) -> dict[str, dict[str, Any]]:
    """{rule: {accuracy, votes, sites}}: site-capped accuracy, smoothed towards 1/2 by *prior*
    pseudo-votes, at the granularity gold knows."""
    out: dict[str, dict[str, Any]] = {}
    for j, name in enumerate(gv.rules):
        known, correct = correct_for(np.full(gv.n, int(gv.rule_label[j])), gv.gold)
        sel = (gv.votes[:, j] >= 0) & known
        w = site_weights(gv, sel, cap)
        acc = (float((w * correct).sum()) + prior / 2) / (float(w.sum()) + prior)
        out[name] = {"accuracy": round(acc, 4), "votes": int(sel.sum()),
                     "sites": len(np.unique(gv.group[sel]))}
    return out


def _loss_grad(w: Floats, gv: GoldVotes, sw: Floats, w0: Floats,
               l2: float) -> tuple[float, Floats]:
    """Negative log-likelihood of gold under softmax(weighted vote scores), and its gradient."""
    _, _, scores = weighted_vote(gv.votes, w, len(LABELS))
    scores -= scores.max(axis=1, keepdims=True)
    p = np.exp(scores)
    p /= p.sum(axis=1, keepdims=True)
    coarse = gv.gold == NOT_ARTICLE
    exact = (gv.gold >= 0) & (sw > 0)
    g = np.zeros_like(p)
    loss = 0.0
    if exact.any():
        gi = gv.gold[exact].astype(np.int64)
        pe = p[exact]
        loss -= float((sw[exact] * np.log(pe[np.arange(len(gi)), gi] + 1e-12)).sum())
        ge = pe.copy()
        ge[np.arange(len(gi)), gi] -= 1.0
        g[exact] = ge * sw[exact, None]
    c = coarse & (sw > 0)
    if c.any():
        pa_ = p[c, ART]
        q = np.maximum(1.0 - pa_, 1e-12)
        loss -= float((sw[c] * np.log(q)).sum())
        onehot = np.zeros_like(p[c])
        onehot[:, ART] = 1.0
        g[c] = (pa_ / q)[:, None] * (onehot - p[c]) * sw[c, None]
    grad = np.zeros(len(w))
    rows = np.arange(gv.n)
    for j in range(len(w)):
        hit = gv.votes[:, j] >= 0
        grad[j] = g[rows[hit], gv.votes[hit, j]].sum()
    total = max(float(sw.sum()), 1.0)
    loss = loss / total + l2 * float(((w - w0) ** 2).sum())
    return loss, grad / total + 2 * l2 * (w - w0)


def fit_weights(gv: GoldVotes, cap: int = 50, l2: float = 0.01,
                upper: float = 6.0) -> dict[str, dict[str, Any]]:
    """{rule: {weight, accuracy, votes, sites}}: weights that make the weighted vote most
    likely to give the gold label (a softmax over the vote scores, fitted on gold with every
    site capped at *cap* segments, shrunk towards the hand weights by *l2*).

    A plain accuracy-to-log-odds weight treats rules as independent; ours are not (the weak
    defaults fire with almost every specific rule), so the weights are fitted jointly."""
    from scipy.optimize import minimize

    sw = site_weights(gv, gv.gold != -1, cap)
    w0 = gv.weights.astype(np.float64)
    res = minimize(_loss_grad, w0, args=(gv, sw, w0, l2), jac=True, method="L-BFGS-B",
                   bounds=[(0.0, upper)] * len(w0), options={"maxiter": 200})
    acc = rule_accuracy(gv, cap)
    return {name: {"weight": round(float(res.x[j]), 3), **acc[name]}
            for j, name in enumerate(gv.rules)}
