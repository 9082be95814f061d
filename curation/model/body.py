"""The story's body: a second, contextual stage over the per-segment heads.

A linear head scores each segment on its own; whether a segment belongs to the running text
also depends on its page: how the segments around it scored, where it lies relative to the
run of confident article text, and how its siblings of the same block template (tag path and
class/id tokens) scored: a teaser description repeated in thirty cards shares a template with
twenty-nine others, a body paragraph with the paragraphs of one story. A gradient-boosted model
(scikit-learn's HistGradientBoostingClassifier) learns these from out-of-fold head scores
(stacking: it is fitted on scores the heads gave to pages they did not see).

Main-text gold (articleBody) teaches it "body"; taxonomy gold without a main-text twin counts
every article segment as body (it does not say which are headline or byline)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from curation.model.arrays import Bools, Floats, Ints
from curation.model.features import DENSE_NAMES

# The story's apparatus (headline, byline, dateline, credit line) is short: an article segment
# this long is running text (body) whatever P(body) says. The body stage can miss a whole
# story: on a review whose paragraphs are bare text between <br>s it scored 66 of its 69
# paragraphs of 20+ words below 0.5 while the combiner called them article at ~0.95
# (site-grouped CV on the Scrapinghub pages: article segment F1 0.862 -> 0.894, token F1
# 0.954 -> 0.968; much the same from 15 to 30 words).
BODY_MIN_WORDS = 20

_WORDS = DENSE_NAMES.index("log_words")
_H1 = DENSE_NAMES.index("h1")
_SHIFTS = (-3, -2, -1, 1, 2, 3)


@dataclass
class Rows:
    """Where each row of a feature matrix sits: its page (pages contiguous, ids ascending) and
    its block template within the page (tag path and class/id tokens, numbered per page)."""

    page: Ints
    template: Ints

    def __len__(self) -> int:
        return len(self.page)

    def take(self, idx: Ints | Bools) -> Rows:
        """The rows at *idx* (whole pages, in order)."""
        return Rows(self.page[idx], self.template[idx])


def rows_of(table: pa.Table) -> Rows:
    """Rows of a SEGMENT_SCHEMA table (pages contiguous)."""
    pids = table.column("page_id").to_pylist()
    tpath = table.column("tag_path").to_pylist()
    attrs = table.column("attrs").to_pylist()
    page = np.zeros(len(pids), dtype=np.int64)
    template = np.zeros(len(pids), dtype=np.int64)
    ids: dict[str, int] = {}
    k = -1
    for i, pid in enumerate(pids):
        if i == 0 or pid != pids[i - 1]:
            k += 1
            ids = {}
        page[i] = k
        template[i] = ids.setdefault(f"{tpath[i] or ''}|{attrs[i] or ''}", len(ids))
    return Rows(page, template)


def decided_by_p_body(dense: Floats) -> Bools:
    """The rows whose part (body or meta) P(body) decides when they are article: fewer than
    BODY_MIN_WORDS words and not an <h1> (longer rows are body and an <h1> is meta whatever
    P(body) says: model/apply.py). *dense*: the feature matrix's dense columns."""
    words = np.rint(np.expm1(dense[:, _WORDS] * np.log1p(1000)))
    decided: Bools = (words < BODY_MIN_WORDS) & (dense[:, _H1] == 0)
    return decided


def stack_rows(parts: Sequence[Rows]) -> Rows:
    """One Rows from several runs (page ids offset so pages stay distinct)."""
    pages, temps, base = [], [], 0
    for r in parts:
        pages.append(r.page + base)
        temps.append(r.template)
        base += int(r.page.max()) + 1 if len(r) else 0
    if not pages:
        return Rows(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    return Rows(np.concatenate(pages), np.concatenate(temps))


def page_bounds(page: Ints) -> list[tuple[int, int]]:
    """(start, end) of each page's rows (pages contiguous)."""
    if not len(page):
        return []
    cut = np.flatnonzero(np.diff(page)) + 1
    starts = np.concatenate([[0], cut])
    ends = np.concatenate([cut, [len(page)]])
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def context_features(p: Floats, q: Floats, dense: Floats, rows: Rows) -> Floats:
    """Stage-two inputs per row: body score *p* and article score *q* of the row and its
    neighbours, position against the page's confident article run, template statistics, and
    the row's dense features."""
    n = len(p)
    words = np.expm1(dense[:, _WORDS] * np.log1p(1000)) if n else np.zeros(0)
    cols: list[Floats] = [p, q]
    bounds = page_bounds(rows.page)
    shifted = {by: np.full(n, -1.0) for by in _SHIFTS}
    core_start, core_end = np.zeros(n), np.zeros(n)
    before, page_max, page_share = np.zeros(n), np.zeros(n), np.zeros(n)
    tmpl_p, tmpl_count, tmpl_runs = np.zeros(n), np.zeros(n), np.zeros(n)
    for a, b in bounds:
        m = b - a
        pp, w = p[a:b], words[a:b]
        for by in _SHIFTS:
            if abs(by) < m:
                if by > 0:
                    shifted[by][a : b - by] = pp[by:]
                else:
                    shifted[by][a - by : b] = pp[:by]
        strong = np.flatnonzero((pp > 0.5) & (w >= 15))
        if not len(strong):
            strong = np.flatnonzero(pp > 0.5)
        idx = np.arange(m)
        if len(strong):
            core_start[a:b] = np.clip(idx - strong[0], -20, 20)
            core_end[a:b] = np.clip(idx - strong[-1], -20, 20)
        else:
            core_start[a:b], core_end[a:b] = -99, 99
        mass = pp * w
        total = max(float(mass.sum()), 1e-9)
        before[a:b] = (np.cumsum(mass) - mass) / total
        page_max[a:b] = pp.max()
        page_share[a:b] = (pp > 0.5).mean()
        t = rows.template[a:b]
        count = np.bincount(t)
        tmpl_p[a:b] = (np.bincount(t, weights=pp) / count)[t]
        tmpl_count[a:b] = count[t]
        starts = np.concatenate([[True], t[1:] != t[:-1]])  # runs of one template
        tmpl_runs[a:b] = np.bincount(t[starts], minlength=len(count))[t]
    cols += [shifted[by] for by in _SHIFTS]
    cols += [core_start, core_end, before, page_max, page_share, tmpl_p,
             np.log1p(tmpl_count), np.log1p(tmpl_runs)]
    return np.column_stack([*cols, dense]) if n else np.zeros((0, len(cols) + dense.shape[1]))


def fit_stage(features: Floats, is_body: Bools, weight: Floats) -> object:
    """The stage-two classifier (small trees, early stopping off: deterministic)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    model = HistGradientBoostingClassifier(
        max_iter=300, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=40,
        l2_regularization=1.0, early_stopping=False, random_state=0,
    )
    return model.fit(features, is_body, sample_weight=weight)
