"""Context rules (stage 2): they read the stage-1 labels of neighbouring segments."""

from __future__ import annotations

import numpy as np

from curation.label.features import Frame
from curation.label.rules import ABSTAIN, CODE, Stage1, rule

_ART, _TEASER, _CAP, _JOKE = CODE["article"], CODE["teaser"], CODE["caption"], CODE["joke"]


@rule("article.sandwich.v1", "article", weight=1.2, stage=2)
def sandwich(f: Frame, s1: Stage1) -> np.ndarray:
    """A short block between article blocks (sub-head, byline, short paragraph) is article,
    unless a specific stage-1 rule (weight >= 1) labelled it otherwise."""
    pre = s1.pre
    prev, nxt = f.shift(pre, -1, ABSTAIN), f.shift(pre, 1, ABSTAIN)
    prev2, nxt2 = f.shift(pre, -2, ABSTAIN), f.shift(pre, 2, ABSTAIN)
    before = (prev == _ART) | ((prev2 == _ART) & (f.n_words <= 12))
    after = (nxt == _ART) | ((nxt2 == _ART) & (f.n_words <= 12))
    return before & after & (pre != _ART) & ~s1.decided & (f.n_words < 40) & (f.link_density < 0.5)


@rule("article.byline.v1", "article", weight=1.0, stage=2)
def byline(f: Frame, s1: Stage1) -> np.ndarray:
    """A short byline/date line ("By ...", "Updated ...") right before or after article text."""
    pre = s1.pre
    near = (f.shift(pre, 1, ABSTAIN) == _ART) | (f.shift(pre, -1, ABSTAIN) == _ART)
    near |= f.shift(pre, 2, ABSTAIN) == _ART
    return f.cue("byline") & (f.n_words <= 15) & near


@rule("teaser.inside_cards.v1", "teaser", weight=1.0, stage=2)
def inside_cards(f: Frame, s1: Stage1) -> np.ndarray:
    """A scrap (<= 3 words, e.g. "." or a lone letter) between two teaser segments is teaser."""
    pre = s1.pre
    prev, nxt = f.shift(pre, -1, ABSTAIN), f.shift(pre, 1, ABSTAIN)
    return (prev == _TEASER) & (nxt == _TEASER) & (f.n_words <= 3)


@rule("caption.alt_before_caption.v1", "caption", weight=1.5, stage=2)
def alt_before_caption(f: Frame, s1: Stage1) -> np.ndarray:
    """Image alt text just before its caption: the caption repeats it and adds a credit."""
    pre = s1.pre
    nxt_cap = (f.shift(pre, 1, ABSTAIN) == _CAP) & (f.n_words <= 40)
    out = np.zeros(f.n, dtype=bool)
    texts = f.text
    for i in np.flatnonzero(nxt_cap):
        a, b = texts[int(i)].as_py(), texts[int(i) + 1].as_py()
        out[i] = bool(a) and b.startswith(a)
    return out


@rule("joke.before_read_more.v1", "joke", weight=1.5, stage=2)
def before_joke_link(f: Frame, s1: Stage1) -> np.ndarray:
    """The text right before a joke widget's "read the whole joke" link is the joke."""
    pre = s1.pre
    return (f.shift(pre, 1, ABSTAIN) == _JOKE) & (f.n_words <= 80) & (pre != _JOKE)
