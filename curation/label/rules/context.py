"""Context rules (stage 2): they read the stage-1 labels of neighbouring segments."""

from __future__ import annotations

import numpy as np

from curation.label.features import Frame, Mask, codes_of
from curation.label.rules import ABSTAIN, CODE, Stage1, rule

_ART, _TEASER, _CAP, _JOKE = CODE["article"], CODE["teaser"], CODE["caption"], CODE["joke"]
_AD = CODE["ad"]


@rule("article.sandwich.v1", "article", weight=1.2, stage=2)
def sandwich(f: Frame, s1: Stage1) -> Mask:
    """A short block between article blocks (sub-head, byline, short paragraph) is article,
    unless a specific stage-1 rule (weight >= 1) labelled it otherwise."""
    pre = s1.pre
    prev, nxt = f.shift(pre, -1, ABSTAIN), f.shift(pre, 1, ABSTAIN)
    prev2, nxt2 = f.shift(pre, -2, ABSTAIN), f.shift(pre, 2, ABSTAIN)
    # `==` on arrays is typed as Any (it overrides object.__eq__): the masks are annotated
    before: Mask = (prev == _ART) | ((prev2 == _ART) & (f.n_words <= 12))
    after: Mask = (nxt == _ART) | ((nxt2 == _ART) & (f.n_words <= 12))
    not_article: Mask = pre != _ART
    return before & after & not_article & ~s1.decided & (f.n_words < 40) & (f.link_density < 0.5)


@rule("article.byline.v1", "article", weight=1.0, stage=2)
def byline(f: Frame, s1: Stage1) -> Mask:
    """A short byline/date line ("By ...", "Updated ...") right before or after article text."""
    pre = s1.pre
    near: Mask = (f.shift(pre, 1, ABSTAIN) == _ART) | (f.shift(pre, -1, ABSTAIN) == _ART)
    near |= f.shift(pre, 2, ABSTAIN) == _ART
    # the bound header_block reads byline cues with: one RE2 pass for both
    return f.cue("byline", max_words=40) & (f.n_words <= 15) & near


@rule("teaser.inside_cards.v1", "teaser", weight=1.0, stage=2)
def inside_cards(f: Frame, s1: Stage1) -> Mask:
    """A scrap (<= 3 words, e.g. "." or a lone letter) between two teaser segments is teaser."""
    pre = s1.pre
    prev, nxt = f.shift(pre, -1, ABSTAIN), f.shift(pre, 1, ABSTAIN)
    between: Mask = (prev == _TEASER) & (nxt == _TEASER)
    return between & (f.n_words <= 3)


@rule("caption.alt_before_caption.v1", "caption", weight=1.5, stage=2)
def alt_before_caption(f: Frame, s1: Stage1) -> Mask:
    """Image alt text just before its caption: the caption repeats it and adds a credit."""
    pre = s1.pre
    nxt_cap = (f.shift(pre, 1, ABSTAIN) == _CAP) & (f.n_words <= 40)
    out = np.zeros(f.n, dtype=np.bool_)
    texts = f.text
    for i in np.flatnonzero(nxt_cap):
        a, b = texts[int(i)].as_py(), texts[int(i) + 1].as_py()
        out[i] = bool(a) and b.startswith(a)
    return out


@rule("joke.before_read_more.v1", "joke", weight=1.5, stage=2)
def before_joke_link(f: Frame, s1: Stage1) -> Mask:
    """The text right before a joke widget's "read the whole joke" link is the joke."""
    pre = s1.pre
    before_joke: Mask = (f.shift(pre, 1, ABSTAIN) == _JOKE) & (pre != _JOKE)
    return before_joke & (f.n_words <= 80)


@rule("ad.follow_group.v2", "ad", weight=2.0, stage=2)
def follow_group(f: Frame, s1: Stage1) -> Mask:
    """A short link beside a social network link (labelled ad) in the same kind of block: the
    rest of a follow-us group ("Email", "Subscribe" beside "Facebook"). Not beside any ad: one
    "Newsletter" item in a menu does not make the menu an ad."""
    out = np.zeros(f.n, dtype=np.bool_)
    paths = codes_of(f, "tag_path").astype(np.int64)
    is_ad: Mask = s1.pre == _AD
    social = is_ad & f.cue("social", max_words=3)
    for k in (-2, -1, 1, 2):
        nb_social = f.shift(social, k, False)
        same: Mask = f.shift(paths, k, -1) == paths
        out |= nb_social & same
    return out & f.is_html & (f.n_words <= 4) & ~is_ad


_HEADER_ATTR = (
    r"(^| )(author\w*|byline\w*|date\w*|time|meta|published|dateline|headline|title|"
    r"hed|dek|standfirst|subtitle|subhead\w*|strap\w*|intro|lede|summary|kicker)( |$)"
)


@rule("article.header_block.v1", "article", weight=1.5, stage=2)
def header_block(f: Frame, s1: Stage1) -> Mask:
    """Headline, byline and dateline just above the story's main container (up to six blocks
    before it) when they look like it: heading tag, author/date class, byline or date text."""
    # first in-main segment of each page, spread over the page's segments (-1: none)
    n_pages = int(f.page[-1]) + 1 if f.n else 0
    first_of_page = np.full(n_pages, -1, dtype=np.int64)
    idx = np.flatnonzero(f.in_main)
    first_of_page[f.page[idx][::-1]] = idx[::-1]  # the last write wins: the first index
    first_main = first_of_page[f.page]
    pos = np.arange(f.n)
    above = (first_main >= 0) & (pos < first_main) & (pos >= first_main - 6)
    looks = (
        f.match("tag_path", r"(^|>)h[1-3]$")
        | f.match("attrs", _HEADER_ATTR)
        | f.cue("byline", max_words=40)
        | f.cue("date", max_words=40)
    )
    return f.is_html & above & looks & (f.n_words <= 40) & (f.link_density < 0.5)
