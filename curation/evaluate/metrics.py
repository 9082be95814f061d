"""Segmentation-independent scores of predicted segment labels against gold segments.

Pure functions, no pipeline. Per page: token bags per label (multiset intersection) give token
P/R/F1; a token alignment of the gold and predicted token streams gives each gold segment the
predicted label that covers most of its tokens (segment scores, leak, confusion).

Annotation kinds: `taxonomy` pages score every label; on `main_only` pages only `article` versus
the rest is scored; `partial_snippets` pages score only their listed blocks, and a listed `other`
block there says "not article" without saying which kind, so it counts for `article` alone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from curation.gold.align import align, token_stream, tokenize
from curation.gold.targets import label_target
from curation.taxonomy import ARTICLE, NOT_ARTICLE

COARSE = NOT_ARTICLE  # gold row of a block known only to be boilerplate
MISSING = "(missing)"  # gold tokens absent from the predicted segments
UNALIGNED = "(unaligned)"  # predicted tokens that match no gold token

@dataclass(frozen=True, slots=True)
class Span:
    """A labelled segment (gold or predicted); start/end are offsets into a text page, if known."""

    text: str
    label: str
    start: int | None = None
    end: int | None = None
    meta: bool = False  # an article segment that is the story's apparatus (headline, byline)


@dataclass(slots=True)
class PageScore:
    """What one page adds to the totals (see `aggregate`)."""

    page_id: str
    annotation: str
    token: dict[str, tuple[float, float, float]] = field(default_factory=dict)  # label -> P,R,F1
    bags: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # label -> pred,gold,common
    seg: dict[str, list[int]] = field(default_factory=dict)  # label -> [tp, fp, fn]
    leak: dict[str, list[int]] = field(default_factory=dict)  # label -> [as article, gold tokens]
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)  # (gold, pred) tokens
    errors: list[dict[str, str | int]] = field(default_factory=list)  # mislabelled gold segments


def prf(n_pred: int, n_gold: int, n_common: int) -> tuple[float, float, float]:
    """Precision, recall, F1 from counts; an empty side scores 0 (the page has an error)."""
    p = n_common / n_pred if n_pred else 0.0
    r = n_common / n_gold if n_gold else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f1


def _kind(annotation: str, label: str) -> str:
    """'scored' (counts for its label), or 'coarse' (only says: not article)."""
    return "coarse" if label_target(annotation, label) == NOT_ARTICLE else "scored"


@dataclass(slots=True)
class _Aligned:
    """One page's gold and predicted token streams, aligned."""

    gold: Sequence[Span]
    kinds: list[str]  # per gold segment: scored, coarse or excluded
    g_tok: list[str]
    g_seg: list[int]  # gold segment of each gold token
    p_tok: list[str]
    p_lab: list[str]  # predicted label of each predicted token
    a: list[int]  # predicted token each gold token aligns to, or -1
    owner: list[int]  # gold segment each predicted token is aligned into, or -1


def score_page(
    page_id: str,
    annotation: str,
    gold: Sequence[Span],
    pred: Sequence[Span],
    excluded: Iterable[int] = (),
) -> PageScore:
    """Score one page; gold segments whose index is in *excluded* are ignored (bad gold)."""
    skip = set(excluded)
    complete = annotation != "partial_snippets"
    kinds = ["excluded" if i in skip else _kind(annotation, g.label) for i, g in enumerate(gold)]
    if annotation == "taxonomy":
        scored_labels: set[str] | None = None
    else:
        scored_labels = {ARTICLE} | {
            g.label for i, g in enumerate(gold) if kinds[i] == "scored"
        }
    g_tok, g_seg = token_stream(g.text for g in gold)
    p_tok, p_seg = token_stream(s.text for s in pred)
    p_lab = [pred[j].label for j in p_seg]
    a = align(g_tok, p_tok)
    owner = [-1] * len(p_tok)
    for gi, pj in enumerate(a):
        if pj >= 0:
            owner[pj] = g_seg[gi]
    page = _Aligned(gold, kinds, g_tok, g_seg, p_tok, p_lab, a, owner)
    res = PageScore(page_id=page_id, annotation=annotation)
    _token_scores(page, complete, scored_labels, res)
    _segment_scores(page, pred, scored_labels, res)
    _leak_and_confusion(page, complete, res)
    return res


def _token_scores(page: _Aligned, complete: bool, scored_labels: set[str] | None,
                  res: PageScore) -> None:
    """Token bags per label: P/R/F1 of the predicted against the gold tokens of each label."""
    gold_bags: dict[str, Counter[str]] = {}
    for gi, tok in enumerate(page.g_tok):
        si = page.g_seg[gi]
        if page.kinds[si] == "scored":
            gold_bags.setdefault(page.gold[si].label, Counter())[tok] += 1
    pred_bags: dict[str, Counter[str]] = {}
    for pj, tok in enumerate(page.p_tok):
        lab = page.p_lab[pj]
        si = page.owner[pj]
        kind = page.kinds[si] if si >= 0 else ("free" if complete else "unlisted")
        if kind in ("excluded", "unlisted") or (kind == "coarse" and lab != ARTICLE):
            continue
        pred_bags.setdefault(lab, Counter())[tok] += 1
    for lab in sorted(set(gold_bags) | set(pred_bags)):
        if scored_labels is not None and lab not in scored_labels:
            continue
        gb, pb = gold_bags.get(lab, Counter()), pred_bags.get(lab, Counter())
        counts = (pb.total(), gb.total(), (gb & pb).total())
        res.bags[lab] = counts
        res.token[lab] = prf(*counts)


def _segment_scores(page: _Aligned, pred: Sequence[Span], scored_labels: set[str] | None,
                    res: PageScore) -> None:
    """Each gold segment's predicted label (the majority over its aligned tokens) against its
    gold label: segment tp/fp/fn per label, and the mislabelled segments."""
    tok_label = [page.p_lab[pj] if pj >= 0 else MISSING for pj in page.a]
    assigned = _assign(page.gold, pred, page.kinds, page.g_seg, tok_label, page.a)
    for i, g in enumerate(page.gold):
        kind = page.kinds[i]
        if kind == "excluded":
            continue
        got = assigned[i]
        gold_label = g.label if kind == "scored" else COARSE
        # sorted: the per-page report lists labels in the same order on every run
        for lab in sorted(scored_labels if scored_labels is not None else {g.label, got}):
            if lab == MISSING or (kind == "coarse" and lab != ARTICLE):
                continue
            is_gold, is_pred = gold_label == lab, got == lab
            if is_gold or is_pred:
                c = res.seg.setdefault(lab, [0, 0, 0])
                c[0 if is_gold and is_pred else (1 if is_pred else 2)] += 1
        wrong = got == ARTICLE if gold_label == COARSE else got != gold_label
        if wrong:
            res.errors.append(
                {"gold": gold_label, "pred": got, "tokens": len(tokenize(g.text)),
                 "text": g.text[:160]}
            )


def _leak_and_confusion(page: _Aligned, complete: bool, res: PageScore) -> None:
    """Over gold tokens: the confusion (gold label, predicted label) and how much of each
    non-article label leaked into article; on complete pages, unaligned predicted tokens."""
    for gi, pj in enumerate(page.a):
        si = page.g_seg[gi]
        kind = page.kinds[si]
        if kind == "excluded":
            continue
        tok_lab = page.p_lab[pj] if pj >= 0 else MISSING
        gl = page.gold[si].label if kind == "scored" else COARSE
        res.confusion[(gl, tok_lab)] += 1
        if kind == "scored" and gl != ARTICLE:
            c = res.leak.setdefault(gl, [0, 0])
            c[0] += tok_lab == ARTICLE
            c[1] += 1
    if complete:
        for pj, si in enumerate(page.owner):
            if si < 0:
                res.confusion[(UNALIGNED, page.p_lab[pj])] += 1


def _assign(
    gold: Sequence[Span], pred: Sequence[Span], kinds: list[str],
    g_seg: list[int], tok_label: list[str], a: list[int],
) -> list[str]:
    """Label per gold segment: majority of its aligned tokens; no-token segments by characters
    (text pages with offsets on both sides) or else by the nearest aligned gold token."""
    votes: list[Counter[str]] = [Counter() for _ in gold]
    first: list[int] = [-1] * len(gold)  # first gold token index of each segment
    for gi, si in enumerate(g_seg):
        votes[si][tok_label[gi]] += 1
        if first[si] < 0:
            first[si] = gi
    aligned = [gi for gi, pj in enumerate(a) if pj >= 0]
    out: list[str] = []
    for i, g in enumerate(gold):
        v = votes[i]
        if v:
            real = Counter({k: n for k, n in v.items() if k != MISSING})
            # ties go to the label seen first in the segment
            out.append(max(real, key=lambda k: real[k]) if real else MISSING)
            continue
        out.append(_no_token_label(i, g, pred, first, aligned, tok_label, len(g_seg)))
    return out


def _no_token_label(
    i: int, g: Span, pred: Sequence[Span], first: list[int], aligned: list[int],
    tok_label: list[str], n_tokens: int,
) -> str:
    if g.start is not None and g.end is not None:
        best, best_overlap = None, 0
        for s in pred:
            if s.start is None or s.end is None:
                continue
            overlap = min(g.end, s.end) - max(g.start, s.start)
            if overlap > best_overlap:
                best, best_overlap = s.label, overlap
        if best is not None:
            return best
    # position in the gold token stream: before the next segment's first token
    nxt = next((first[k] for k in range(i + 1, len(first)) if first[k] >= 0), n_tokens)
    before = [gi for gi in aligned if gi < nxt]
    if before:
        return tok_label[before[-1]]
    after = [gi for gi in aligned if gi >= nxt]
    return tok_label[after[0]] if after else MISSING


def aggregate(scores: Iterable[PageScore], labels: Sequence[str] = ()) -> dict[str, object]:
    """Totals: per label mean token P/R/F1 over pages that have it, pooled segment F1, leak."""
    token_sums: dict[str, list[float]] = {}
    seg: dict[str, list[int]] = {}
    leak: dict[str, list[int]] = {}
    confusion: Counter[tuple[str, str]] = Counter()
    n = 0
    for ps in scores:
        n += 1
        for lab, (p, r, f1) in ps.token.items():
            t = token_sums.setdefault(lab, [0.0, 0.0, 0.0, 0])
            t[0] += p
            t[1] += r
            t[2] += f1
            t[3] += 1
        for lab, c in ps.seg.items():
            s = seg.setdefault(lab, [0, 0, 0])
            for k in range(3):
                s[k] += c[k]
        for lab, c in ps.leak.items():
            lk = leak.setdefault(lab, [0, 0])
            lk[0] += c[0]
            lk[1] += c[1]
        confusion.update(ps.confusion)
    order = [lab for lab in labels if lab in token_sums or lab in seg]
    order += sorted((set(token_sums) | set(seg)) - set(order))
    out_labels: dict[str, dict[str, float | int]] = {}
    for lab in order:
        t = token_sums.get(lab, [0.0, 0.0, 0.0, 0])
        pages = int(t[3])
        tp, fp, fn = seg.get(lab, [0, 0, 0])
        sp, sr, sf = prf(tp + fp, tp + fn, tp)
        out_labels[lab] = {
            "token_p": _r(t[0] / pages if pages else 0.0),
            "token_r": _r(t[1] / pages if pages else 0.0),
            "token_f1": _r(t[2] / pages if pages else 0.0),
            "segment_f1": _r(sf),
            "segment_p": _r(sp),
            "segment_r": _r(sr),
            "pages": pages,
            "gold_segments": tp + fn,
        }
    leak_out = {
        lab: _r(counts[0] / counts[1])
        for lab in [*labels, *sorted(set(leak) - set(labels))]
        if (counts := leak.get(lab)) and counts[1]
    }
    return {"pages": n, "labels": out_labels, "leak": leak_out, "confusion": confusion}


def _r(x: float) -> float:
    return round(x, 4)
