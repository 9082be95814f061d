"""Language cue rules: cue phrases from the <lang>.yaml cue files, bounded by segment length
so that a cue inside a long paragraph does not relabel body text."""

from __future__ import annotations

import numpy as np

from curation.label.features import Frame, Mask, codes_of
from curation.label.rules import rule

_SHARE = r"(^| )(share\w*|sharing|sharebar|addthis|sharethis)( |$)"
_AD_PARAGRAPH_WORDS = 80


def _near(f: Frame, mask: Mask, before: int, after: int) -> Mask:
    """Segments within *before* places before or *after* places after a masked one."""
    out = mask.copy()
    for k in range(1, before + 1):
        out |= f.shift(mask, k, False)
    for k in range(1, after + 1):
        out |= f.shift(mask, -k, False)
    return out


@rule("caption.cue.v1", "caption", weight=2.5)
def caption_cue(f: Frame) -> Mask:
    """Short text with a photo/source credit ("Photo:", "Източник: БТА")."""
    return f.cue("caption", max_words=40)


# "(NASA/JPL-Caltech/ASU)", "(NASA's Goddard Space Flight Center/David Ladd)": capitalised
# names joined by slashes in parentheses at the very end (case matters: "(yes/no)" is not one)
_NAME = r"[A-Z][\w'’.&-]*(?: [A-Z][\w'’.&-]*)*"
_PAREN_CREDIT = rf"\({_NAME}(?: ?/ ?{_NAME})+\)\.?$"


@rule("caption.paren_credit.v1", "caption", weight=2.0)
def paren_credit(f: Frame) -> Mask:
    """A short line (3-40 words) ending in an agency/photographer credit in parentheses:
    an image's caption ("Titan in false colour. (NASA/JPL/Space Science Institute)"). Misses
    credits of one name; hits a sentence ending in a band's name such as "(AC/DC)"."""
    return (f.n_words >= 3) & (f.n_words <= 40) & f.match("text", _PAREN_CREDIT)


@rule("ad.cue.v1", "ad", weight=2.5)
def ad_cue(f: Frame) -> Mask:
    """Short text with an ad or self-promotion cue ("Advertisement", "follow us on")."""
    # the bound of ad.cue_paragraph.v1: one RE2 pass serves both rules (Frame.cue caches it)
    return f.cue("ad", max_words=_AD_PARAGRAPH_WORDS) & (f.n_words <= 30)


@rule("ad.cue_paragraph.v1", "ad", weight=1.0)
def ad_cue_paragraph(f: Frame) -> Mask:
    """A paragraph (31-80 words) with an ad or self-promotion cue: a membership or newsletter
    pitch ("If you enjoyed this article ... Join"), a deals box ("coupon code"), an author's
    book plug ending "Follow us on Twitter". A rule of its own, not a longer bound on
    `ad.cue.v1`: the fitted combiner learns how far to trust a cue in a paragraph of the
    story's container apart from a short "Advertisement" line; as one rule the paragraphs
    stayed article (taxonomy pages, site-grouped CV: ad leak into article 0.126 -> 0.114 as
    one rule, 0.075 as two). Weight 1: with the rules alone it does not outvote a story's
    paragraph (1.8 in a text dump) that quotes "follow us on ..."."""
    return f.cue("ad", max_words=_AD_PARAGRAPH_WORDS) & (f.n_words > 30)


@rule("comment_ui.cue.v1", "comment_ui", weight=2.0)
def comment_cue(f: Frame) -> Mask:
    """Short text with a comment-form cue ("leave a comment", "password must not be empty")."""
    return f.cue("comment_ui", max_words=40)


@rule("joke.cue.v1", "joke", weight=1.5)
def joke_cue(f: Frame) -> Mask:
    """Short text with a joke-widget cue ("joke of the day", "read the whole joke")."""
    return f.cue("joke", max_words=30)


@rule("teaser.cue.v1", "teaser", weight=2.0)
def teaser_cue(f: Frame) -> Mask:
    """A related/most-read list heading ("Related stories", "Още от")."""
    return f.cue("teaser", max_words=8)


@rule("teaser.related_list.v1", "teaser", weight=2.5)
def related_list(f: Frame) -> Mask:
    """A related-stories heading ("More great stories", "Related posts") and the list under it:
    the rows right after it that repeat the first row's tag path, hold a link and 4+ words
    (headlines, not menu items), 2 to 15 of them.
    Such lists sit inside the story's container too, where the container's vote (2.3 with its
    default) would call their headlines article."""
    out = np.zeros(f.n, dtype=np.bool_)
    # a heading, not a menu's "Top Stories" link; its rows headlines, not menu items
    heads = np.flatnonzero(f.cue("teaser", max_words=8) & (f.link_density < 0.5))
    heads = heads[heads + 2 < f.n]
    if not heads.size:
        return out
    paths = codes_of(f, "tag_path")
    linked = (f.link_density > 0) & (f.n_words >= 4)
    first = heads + 1
    alive = np.ones(len(heads), dtype=np.bool_)
    rows: list[Mask] = []  # per place after the heading: the headings whose list reaches it
    for k in range(1, 16):
        at = np.minimum(heads + k, f.n - 1)
        alive &= (heads + k < f.n) & (f.page[at] == f.page[heads]) & linked[at]
        alive &= paths[at] == paths[first]
        if not alive.any():
            break
        rows.append(alive.copy())
    if len(rows) < 2:
        return out
    rows[0] &= rows[1]  # a list: two rows at least
    out[heads[rows[0]]] = True  # the heading is the list's, not the story's
    for k, reach in enumerate(rows, start=1):
        out[heads[reach] + k] = True
    return out


@rule("teaser.related_lead.v1", "teaser", weight=2.5)
def related_lead(f: Frame) -> Mask:
    """A line leading into a link to another story, mostly the link's text ("Related: <a>
    headline</a>", "Also: See ...", "On HoustonChronicle.com: ..."). Such lines stand between
    the story's paragraphs, where the container's votes and the model called them article on
    every site of the taxonomy gold that has them (6 lines, 5 sites, all teaser)."""
    return f.cue("related_lead", max_words=30) & (f.link_density >= 0.4)


def _photo_credit(f: Frame) -> Mask:
    """Text with a caption cue: "photos © Name", "(Image: © NASA/ESA)", "Image copyright EPA"
    are an image's credit (`caption`), not the site's copyright line, though they match it."""
    return f.cue("caption", max_words=40)


@rule("other.cue.v2", "other", weight=1.2)
def other_cue(f: Frame) -> Mask:
    """Short copyright, privacy, cookie, menu or share text; not a photo credit (v1 voted on
    those too: 9 caption segments of the taxonomy gold, on 5 sites)."""
    return f.cue("other") & (f.n_words <= 25) & ~_photo_credit(f)


@rule("teaser.time_ago.v1", "teaser", weight=2.0)
def time_ago(f: Frame) -> Mask:
    """A "category + time ago" line ("World 2 hours ago", "Свят Преди 42 минути")."""
    return f.cue("time_ago", max_words=8)


@rule("teaser.card_window.v1", "teaser", weight=1.0)
def card_window(f: Frame) -> Mask:
    """Title lines before and the lead after a time-ago line: the rest of a teaser card."""
    t = f.cue("time_ago", max_words=8)
    return _near(f, t, before=2, after=2) & (f.n_words <= 40) & ~t


@rule("teaser.repeated_title.v1", "teaser", weight=0.8)
def repeated_title(f: Frame) -> Mask:
    """A title-like line (4-25 words) that occurs twice on the page: card title + image alt."""
    return (f.dup_in_page >= 2) & (f.n_words >= 4) & (f.n_words <= 25) & (f.link_density < 0.6)


@rule("ad.social_link.v2", "ad", weight=3.0)
def social_link(f: Frame) -> Mask:
    """A lone social network name ("Facebook", "RSS Feed"): a follow-us group; not inside a
    share bar (class/id says share: those buttons are `other`)."""
    return f.cue("social", max_words=3) & ~f.match("attrs", _SHARE)


@rule("other.legal.v2", "other", weight=2.0)
def legal(f: Frame) -> Mask:
    """Copyright, privacy and cookie text up to 80 words outside the story (long footers);
    not a photo credit (as other.cue.v2)."""
    return (f.cue("other") & (f.n_words <= 80) & ~(f.in_main & (f.n_words > 25))
            & ~_photo_credit(f))
