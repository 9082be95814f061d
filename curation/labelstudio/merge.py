"""Annotation rows -> one final label per segment, agreement figures and the review list."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import krippendorff
import numpy as np

from curation.labelstudio.results import STAGE, AnnotationRow
from curation.stats import Stats


@dataclass(slots=True)
class Merged:
    """The final human label of one text on one page (however many tasks showed it)."""

    segment_id: str  # where the text sat in the (latest) task
    label: str | None  # None: a tie, left for review
    annotators: int
    agreement: float  # share of annotators who gave the final (or the most common) label
    ground_truth: bool
    page_id: str = ""
    url: str | None = None
    text_hash: str = ""
    occurrence: int = 0
    text: str = ""


def dedupe(rows: list[AnnotationRow], stats: Stats) -> list[AnnotationRow]:
    """One row per (text, annotator): the latest annotation wins (duplicate tasks, or tasks
    made from two versions of a page that both show the text)."""
    best: dict[tuple[tuple[str, str, int], str], AnnotationRow] = {}
    for r in rows:
        key = (r.item, r.annotator)
        old = best.get(key)
        if old is not None:
            stats.add(STAGE, "duplicate_segment_annotations")
        if old is None or (r.annotation_id or 0) > (old.annotation_id or 0):
            best[key] = r
    return list(best.values())


def merge(rows: list[AnnotationRow]) -> tuple[list[Merged], list[dict[str, Any]]]:
    """Majority label per segment (ground-truth annotations win); ties and disagreements are
    returned as review entries."""
    by_item: dict[tuple[str, str, int], list[AnnotationRow]] = defaultdict(list)
    for r in rows:
        by_item[r.item].append(r)
    merged, review = [], []
    for item in sorted(by_item):
        group = by_item[item]
        last = max(group, key=lambda r: r.annotation_id or 0)
        gt = [r for r in group if r.ground_truth]
        deciding = gt or group
        counts = Counter(r.label for r in deciding).most_common()
        top = [lab for lab, n in counts if n == counts[0][1]]
        final = top[0] if len(top) == 1 else None
        n_all = len(group)
        share = sum(1 for r in group if r.label == (final or top[0])) / n_all
        merged.append(Merged(last.segment_id, final, n_all, round(share, 6), bool(gt),
                             last.page_id, last.url, last.text_hash, last.occurrence, last.text))
        distinct = {r.label for r in group}
        if final is None or len(distinct) > 1:
            reason = ("ground_truth_conflict" if final is None and gt else
                      "tie" if final is None else "disagreement")
            review.append({
                "segment_id": last.segment_id, "page_id": last.page_id, "reason": reason,
                "final": final,
                "prelabel": group[0].prelabel,
                "labels": {r.annotator: r.label for r in sorted(group, key=lambda r: r.annotator)},
                "ground_truth": sorted(r.annotator for r in gt),
                "task_id": group[0].task_id,
            })
    return merged, review


def _num(x: float | None) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 6)


def cohen_kappa(a: list[str], b: list[str]) -> float | None:
    """Cohen's kappa of two raters over the same items (None when chance agreement is 1)."""
    n = len(a)
    if n == 0:
        return None
    po = sum(x == y for x, y in zip(a, b, strict=True)) / n
    ca, cb = Counter(a), Counter(b)
    pe = sum(ca[k] * cb[k] for k in ca) / (n * n)
    return None if pe >= 1 else (po - pe) / (1 - pe)


def fleiss_kappa(items: list[Counter[str]], cats: list[str]) -> tuple[float | None, dict[str, Any]]:
    """Fleiss' kappa over items with >= 2 ratings (raters per item may vary), and per category."""
    items = [c for c in items if sum(c.values()) >= 2]
    if not items:
        return None, {}
    n_i = np.array([sum(c.values()) for c in items], dtype=float)
    m = np.array([[c.get(k, 0) for k in cats] for c in items], dtype=float)
    p_j = m.sum(0) / n_i.sum()
    p_bar = float(np.mean(((m * (m - 1)).sum(1)) / (n_i * (n_i - 1))))
    pe = float((p_j ** 2).sum())
    overall = None if pe >= 1 else (p_bar - pe) / (1 - pe)
    per: dict[str, Any] = {}
    pairs = float((n_i * (n_i - 1)).sum())
    for j, k in enumerate(cats):
        denom = pairs * p_j[j] * (1 - p_j[j])
        per[k] = None if denom == 0 else 1 - float((m[:, j] * (n_i - m[:, j])).sum()) / denom
    return overall, per


def alpha(matrix: np.ndarray[Any, np.dtype[np.float64]]) -> float | None:
    """Krippendorff's alpha (nominal) of an annotators x segments matrix (nan = not rated)."""
    usable = (~np.isnan(matrix)).sum(0) >= 2
    vals = matrix[:, usable]
    if vals.size == 0 or len(np.unique(vals[~np.isnan(vals)])) < 2:
        return None  # alpha is undefined when only one value occurs
    return float(krippendorff.alpha(reliability_data=vals, level_of_measurement="nominal"))


def agreement(rows: list[AnnotationRow], merged: list[Merged], labels: list[str],
              votes: dict[str, list[dict[str, str]]]) -> dict[str, Any]:
    """Agreement overall and per label, counts, and how often people changed each pre-label."""
    annotators = sorted({r.annotator for r in rows})
    segs = sorted({r.item for r in rows})
    col = {s: i for i, s in enumerate(segs)}
    row_of = {a: i for i, a in enumerate(annotators)}
    lab_ix = {k: i for i, k in enumerate(labels)}
    mat = np.full((len(annotators), len(segs)), np.nan)
    for r in rows:
        mat[row_of[r.annotator], col[r.item]] = lab_ix[r.label]
    per_seg: dict[tuple[str, str, int], Counter[str]] = defaultdict(Counter)
    for r in rows:
        per_seg[r.item][r.label] += 1
    items = [per_seg[s] for s in segs]
    fk, fk_per = fleiss_kappa(items, labels)
    overlap = int(((~np.isnan(mat)).sum(0) >= 2).sum())
    out: dict[str, Any] = {"annotators": annotators, "segments": len(segs),
                           "segments_multi_annotated": overlap, "annotations": len(rows)}
    ck_per: dict[str, float | None] = {}
    if len(annotators) == 2:
        both = ~np.isnan(mat).any(0)
        a, b = ([labels[int(x)] for x in mat[i, both]] for i in (0, 1))
        out["kappa_method"] = "cohen"
        out["kappa"] = _num(cohen_kappa(a, b))
        for k in labels:
            ck_per[k] = cohen_kappa([str(x == k) for x in a], [str(x == k) for x in b])
    else:
        out["kappa_method"] = "fleiss"
        out["kappa"] = _num(fk)
    out["fleiss_kappa"] = _num(fk)
    out["krippendorff_alpha"] = _num(alpha(mat))
    finals = Counter(m.label for m in merged)
    given = Counter(r.label for r in rows)
    pre = Counter(r.prelabel for r in rows if r.prelabel is not None)
    pre_changed = Counter(r.prelabel for r in rows if r.changed)
    per_label: dict[str, Any] = {}
    for k in labels:
        binary = np.where(np.isnan(mat), np.nan, (mat == lab_ix[k]).astype(float))
        per_label[k] = {
            "final": finals.get(k, 0), "annotations": given.get(k, 0),
            "prelabel": pre.get(k, 0), "prelabel_changed": pre_changed.get(k, 0),
            "prelabel_changed_rate": _num(pre_changed[k] / pre[k]) if pre.get(k) else None,
            "kappa": _num(ck_per[k]) if ck_per else _num(fk_per.get(k)),
            "krippendorff_alpha": _num(alpha(binary)),
        }
    out["per_label"] = per_label
    out["final"] = {"labelled": sum(1 for m in merged if m.label is not None),
                    "ties": sum(1 for m in merged if m.label is None),
                    "ground_truth": sum(1 for m in merged if m.ground_truth)}
    with_pre = [r for r in rows if r.changed is not None]
    out["prelabel"] = {"annotations": len(with_pre),
                       "changed": sum(1 for r in with_pre if r.changed),
                       "accepted": sum(1 for r in with_pre if not r.changed)}
    out["rules"] = rule_changes(rows, votes)
    return out


def rule_changes(rows: list[AnnotationRow],
                 votes: dict[str, list[dict[str, str]]]) -> dict[str, Any]:
    """Per rule: annotations on segments it voted on, and how often the human chose otherwise."""
    n: Counter[str] = Counter()
    changed: Counter[str] = Counter()
    for r in rows:
        for v in votes.get(r.segment_id) or []:
            n[v["rule"]] += 1
            changed[v["rule"]] += r.label != v["label"]
    return {rule: {"annotations": n[rule], "changed": changed[rule],
                   "changed_rate": round(changed[rule] / n[rule], 6)} for rule in sorted(n)}
