"""Within-page structure of a segment table that carries from one site to another: where a
segment stands against the page's main run of article text, the nearest heading before it,
the link density of its parent, its siblings of the same shape, and images beside it.

Every function takes one page's columns (numpy arrays or lists of that page's rows, in page
order) and returns one value per row; none looks at class or id names."""

from __future__ import annotations

from collections import Counter

import numpy as np

from curation.model.arrays import Bools, Floats

_HEADING_LEVEL = {f"h{k}": k for k in range(1, 7)}


def last_tag(tag_path: str) -> str:
    """The block's own tag ("" for text input)."""
    return tag_path.rsplit(">", 1)[-1] if tag_path else ""


def parent_path(tag_path: str) -> str:
    """The tag path of the block's parent ("" at the top or for text input)."""
    return tag_path.rsplit(">", 1)[0] if ">" in tag_path else ""


def main_run(words: Floats, is_article: Bools) -> tuple[int, int] | None:
    """The page's main run of article text: the span [start, end] with the most article words
    net of what interrupts it (a non-article segment costs 1 + half its words), found by the
    maximum-subarray scan; None when no segment is article."""
    score = np.where(is_article, words, -(1.0 + 0.5 * words))
    best, best_span = 0.0, None
    run, start = 0.0, 0
    for i, s in enumerate(score):
        if run <= 0:
            run, start = 0.0, i
        run += float(s)
        if run > best:
            best, best_span = run, (start, i)
    return best_span


def run_relation(m: int, span: tuple[int, int] | None) -> tuple[list[str], Floats]:
    """Each row's place against the main run (before, inside, after, none) and its distance
    from the run in segments (0 inside)."""
    if span is None:
        return ["none"] * m, np.zeros(m)
    a, b = span
    idx = np.arange(m)
    where = np.where(idx < a, "before", np.where(idx > b, "after", "inside"))
    dist = np.where(idx < a, a - idx, np.where(idx > b, idx - b, 0))
    return [str(w) for w in where], dist.astype(float)


def preceding_heading(last_tags: list[str]) -> tuple[Floats, Floats]:
    """Level (1..6, 0 none) of the nearest heading before each row and rows since it."""
    m = len(last_tags)
    level, since = np.zeros(m), np.full(m, -1.0)
    cur, at = 0, -1
    for i, t in enumerate(last_tags):
        level[i] = cur
        since[i] = i - at if at >= 0 else -1
        k = _HEADING_LEVEL.get(t)
        if k is not None:
            cur, at = k, i
    return level, since


def equal_runs(values: list[str]) -> list[tuple[int, int]]:
    """Row ranges of consecutive rows with equal values (a page's rows, one parent's children).

    >>> equal_runs(["a", "a", "b", "a"])
    [(0, 2), (2, 3), (3, 4)]
    """
    runs: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start]:
            runs.append((start, i))
            start = i
    return runs


def parent_link_density(parents: list[str], ld: Floats, chars: Floats) -> Floats:
    """Link density of each row's parent: the character-weighted link density of its
    consecutive siblings (the row included)."""
    out = np.zeros(len(parents))
    for a, b in equal_runs(parents):
        w = np.maximum(chars[a:b], 1.0)
        out[a:b] = float((ld[a:b] * w).sum() / w.sum())
    return out


def same_shape_siblings(parents: list[str], shapes: list[str]) -> Floats:
    """How many consecutive siblings (the row included) have the row's shape (its own tag
    and size class): lists and cards of teasers, menus, comment threads."""
    out = np.zeros(len(parents))
    for a, b in equal_runs(parents):
        counts = Counter(shapes[a:b])
        out[a:b] = [counts[s] for s in shapes[a:b]]
    return out


def image_before_after(after_image: Bools) -> tuple[Floats, Floats]:
    """Per row: an image right before it, an image right after it (before the next row)."""
    before = after_image.astype(float)
    after = np.zeros(len(before))
    after[:-1] = before[1:]
    return before, after
