"""Within-page structure of a segment table that carries from one site to another: a block's
own tag and its parent's path, the page's main run of article text, and images beside a
block. The featurizer (model/features.py) computes the rest over a whole batch at once.

The per-page functions take one page's columns (numpy arrays of that page's rows, in page
order) and return one value per row; none looks at class or id names."""

from __future__ import annotations

import numpy as np

from curation.model.arrays import Bools, Floats


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


def image_before_after(after_image: Bools) -> tuple[Floats, Floats]:
    """Per row: an image right before it, an image right after it (before the next row)."""
    before = after_image.astype(float)
    after = np.zeros(len(before))
    after[:-1] = before[1:]
    return before, after
