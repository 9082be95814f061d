"""Structural rules: DOM position, tags, class/id hints, link density, length."""

from __future__ import annotations

import re

import numpy as np

from curation.label.features import Frame, Mask, code_values, codes_of
from curation.label.rules import rule

# class/id tokens (segment/html.py splits class and id values into lower-case alphanumeric runs)
_ATTR = {
    "ad": r"(^| )(ad|ads|adv|advert\w*|sponsor\w*|promo\w*|banner|dfp|gpt|adsense|adslot|"
    r"newsletter|subscribe\w*|subscription|follow\w*|outbrain|taboola)( |$)",
    "teaser": r"(^| )(related|teaser\w*|recommend\w*|trending|popular|mostread|most|"
    r"morestories|more|readmore|headlines|suggested|upnext|next|prev|previous)( |$)",
    "caption": r"(^| )(caption\w*|figcaption|credit\w*|photocredit|photographer)( |$)",
    "comment_ui": r"(^| )(comment\w*|disqus|respond|reply|replies|discussion|login|signin)( |$)",
    "other": r"(^| )(nav|navbar|navigation|menu\w*|footer\w*|breadcrumb\w*|masthead|header|"
    r"cookie\w*|consent|gdpr|share\w*|social|sharing|tags?|tagcloud|sidebar|"
    r"widget|skip|search\w*|pagination|copyright|legal)( |$)",
}
_REGION = r"(^|>)(nav|footer|header)(>|$)"
_STORY = r"(^|>)(article|main)(>|$)"
_STORY_ATTR = r"(^| )(article|post|entry|story|hentry|headline|byline)( |$)"
_HEADING = r"(^|>)h[1-3]$"
_ANY_HEADING = r"(^|>)h[1-6]$"
_REGION_TAG = re.compile(_REGION)
_CARD = r"(^| )(card|cards|tile|tiles|storycard|postcard|teasercard)( |$)"
_COMMENT = r"(^| )(comment\w*|disqus\w*|respond|reply|replies)( |$)"


@rule("article.main_container.v1", "article", weight=2.0)
def main_container(f: Frame) -> Mask:
    """Text in the page's main-text container, not link-heavy. Misses captions inside it."""
    return f.is_html & f.in_main & (f.n_words >= 4) & (f.link_density < 0.5)


@rule("article.long_paragraph.v1", "article", weight=1.5)
def long_paragraph(f: Frame) -> Mask:
    """30+ words with few links: body text. Misses short paragraphs; hits long comments."""
    return (f.n_words >= 30) & (f.link_density < 0.25)


@rule("article.headline.v1", "article", weight=1.5)
def headline(f: Frame) -> Mask:
    """An h1 heading (the story's headline), or an h2/h3 inside the main container."""
    h1 = f.match("tag_path", r"(^|>)h1$")
    h23 = f.match("tag_path", _HEADING) & f.in_main
    return f.is_html & (h1 | h23) & (f.link_density < 0.5) & (f.n_words >= 2)


@rule("other.link_nav.v1", "other", weight=0.8)
def link_nav(f: Frame) -> Mask:
    """Short (1-4 words), almost all link text: menu items. Misses plain-text footers."""
    return f.is_html & (f.link_density >= 0.6) & (f.n_words <= 4) & ~f.in_main


@rule("teaser.link_title.v1", "teaser", weight=0.8)
def link_title(f: Frame) -> Mask:
    """A link of 5-25 words outside the main text: a headline linking to another article."""
    return f.is_html & (f.link_density >= 0.6) & (f.n_words >= 5) & (f.n_words <= 25) & ~f.in_main


@rule("other.page_region.v3", "other", weight=0.8)
def page_region(f: Frame) -> Mask:
    """Inside <nav>, <header> or <footer> (not <aside>: sidebars hold teasers and ads too)."""
    story_header = f.match("tag_path", _STORY) | f.match("attrs", _STORY_ATTR)
    return f.is_html & f.match("tag_path", _REGION) & ~f.in_main & ~story_header


@rule("other.attr_hint.v1", "other", weight=0.8)
def attr_other(f: Frame) -> Mask:
    """class/id says navigation, menu, footer, breadcrumb, cookie, share, tags, sidebar."""
    return f.is_html & f.match("attrs", _ATTR["other"]) & (f.n_words < 40)


@rule("ad.attr_hint.v3", "ad", weight=1.5)
def attr_ad(f: Frame) -> Mask:
    """The class/id of the block or a near ancestor says ad, sponsor, promo, banner,
    newsletter, subscribe, follow (a page-wide wrapper class like `advertisement-off` far up
    the tree says nothing about the block)."""
    return f.is_html & f.near_attrs(_ATTR["ad"], tokens=10) & (f.n_words < 60)


@rule("teaser.attr_hint.v2", "teaser", weight=1.2)
def attr_teaser(f: Frame) -> Mask:
    """class/id says related, teaser, recommended, trending, popular, more stories."""
    inside = f.in_main & (f.link_density < 0.5)  # a "related" box inside the story is links
    return f.is_html & f.match("attrs", _ATTR["teaser"]) & (f.n_words < 60) & ~inside


@rule("caption.figure.v2", "caption", weight=2.5)
def figure_caption(f: Frame) -> Mask:
    """Inside <figcaption>, or the class/id of the block or a near ancestor says caption or
    photo credit (far-up wrappers named after a caption style do not count)."""
    tag = f.match("tag_path", r"(^|>)(figcaption|figure)(>|$)")
    return f.is_html & (tag | f.near_attrs(_ATTR["caption"])) & (f.n_words < 80)


@rule("comment_ui.attr_hint.v1", "comment_ui", weight=2.0)
def attr_comment(f: Frame) -> Mask:
    """class/id says comment, disqus, respond, reply: the comments area and its forms."""
    return f.is_html & f.match("attrs", _ATTR["comment_ui"])


@rule("comment_ui.form.v2", "comment_ui", weight=0.8)
def form_fields(f: Frame) -> Mask:
    """Labels and text areas of a form outside the main text (often a comment form); not
    buttons or selects, which search and product finders have too."""
    form = f.match("tag_path", r"(^|>)form(>|$)") & f.match("tag_path", r"(^|>)(label|textarea)$")
    return f.is_html & form & ~f.in_main & (f.n_words <= 20) & (f.link_density < 0.5)


@rule("other.short_outside_main.v1", "other", weight=0.3)
def short_outside(f: Frame) -> Mask:
    """Default for HTML: fewer than 8 words outside the main container is page furniture."""
    return f.is_html & ~f.in_main & (f.n_words < 8)


@rule("other.html_default.v1", "other", weight=0.2)
def html_default(f: Frame) -> Mask:
    """Weak default for HTML segments outside the main container."""
    return f.is_html & ~f.in_main


@rule("article.text_default.v1", "article", weight=0.3)
def text_default(f: Frame) -> Mask:
    """Weak default for text dumps: a line of 12+ words is body text unless cues say otherwise."""
    return ~f.is_html & (f.n_words >= 12)


@rule("other.text_default.v1", "other", weight=0.2)
def text_default_other(f: Frame) -> Mask:
    """Weak default for text dumps: a short line is furniture unless cues say otherwise."""
    return ~f.is_html & (f.n_words < 12)


@rule("article.in_main_default.v1", "article", weight=0.3)
def in_main_default(f: Frame) -> Mask:
    """Weak default: a block inside the main container that is not mostly links."""
    return f.is_html & f.in_main & (f.link_density < 0.5)


@rule("other.in_main_links.v1", "other", weight=0.3)
def in_main_links(f: Frame) -> Mask:
    """Weak default: a mostly-link block inside the main container (share bars, tag lists)."""
    return f.is_html & f.in_main & (f.link_density >= 0.5)


def _title_like(f: Frame) -> Mask:
    return (f.link_density >= 0.6) & (f.n_words >= 4) & (f.n_words <= 30)


@rule("teaser.link_list.v2", "teaser", weight=1.5)
def link_list(f: Frame) -> Mask:
    """A headline-like link (4-30 words) with another of the same kind of block (same tag
    path) within three places, or two of any kind: a list of links to
    other articles. Menus are lists too, but of 1-3 word links. Misses single teaser cards."""
    t = _title_like(f)
    paths = codes_of(f, "tag_path").astype(np.int64)
    near = np.zeros(f.n, dtype=np.int64)
    alike = np.zeros(f.n, dtype=np.bool_)
    for k in (-3, -2, -1, 1, 2, 3):
        other = f.shift(t, k, False)
        near += other
        alike |= other & (f.shift(paths, k, -1) == paths)
    in_story = f.in_main & (f.link_density < 0.5)
    return f.is_html & t & ((near >= 2) | alike) & ~in_story


@rule("teaser.title_cards.v1", "teaser", weight=4.0)
def title_cards(f: Frame) -> Mask:
    """The parts of a card in a list of cards: a linked title (a heading, mostly link) whose
    tag path recurs 3+ times on the page, and the rows up to 2 before and 3 after it inside
    its card (under the title's grandparent; not beside the title under its parent, where a
    listicle keeps its items' paragraphs). A story's own linked headline is there once. Not in
    nav, header or footer: mega menus are lists of linked headings too. Misses cards whose
    titles are not headings. Weight 4: it outvotes the main-container and long-paragraph votes
    when the cards are the page's main container (a round-up of 30-word leads); a heading that
    is a named anchor (`<a name>`, documentation's sections) is not a link (segment/html.py)."""
    heads = f.is_html & f.match("tag_path", _ANY_HEADING) & (f.link_density >= 0.5)
    out = np.zeros(f.n, dtype=np.bool_)
    idx = np.flatnonzero(heads)
    if not idx.size:
        return out
    codes = codes_of(f, "tag_path").astype(np.int64)
    paths = code_values(f, "tag_path")
    key = f.page[idx].astype(np.int64) * len(paths) + codes[idx]
    _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    titles = idx[counts[inverse] >= 3]
    roots = {c: _card_root(paths[c]) for c in set(codes[titles].tolist())}
    titles = titles[[not _REGION_TAG.search(roots[c]) for c in codes[titles].tolist()]]
    out[titles] = True
    # the rows around each title, tested once per (row's path, title's path): they repeat
    m = len(paths)
    for d in (-2, -1, 1, 2, 3):
        at = titles + d
        ok = (at >= 0) & (at < f.n)
        at, title = at[ok], titles[ok]
        same_page = f.page[at] == f.page[title]
        at, title = at[same_page], title[same_page]
        uniq, which = np.unique(codes[at] * m + codes[title], return_inverse=True)
        inside = np.array([_in_card(paths[p // m], paths[p % m], roots[p % m])
                           for p in uniq.tolist()], dtype=bool)
        out[at[inside[which]]] = True
    return out


def _card_root(title_path: str) -> str:
    """The card of a title: its grandparent (its parent under the page's top element)."""
    parts = title_path.split(">")
    return ">".join(parts[: max(len(parts) - 2, min(len(parts) - 1, 2))])


def _in_card(path: str, title_path: str, root: str) -> bool:
    """A row of tag path *path* is in the card of a title of *title_path*: under the card's
    root, and not the title's sibling (a listicle's paragraph beside its product name)."""
    return path.startswith(root + ">") and path.rsplit(">", 1)[0] != title_path.rsplit(">", 1)[0]


@rule("teaser.list_meta.v2", "teaser", weight=0.9)
def list_meta(f: Frame) -> Mask:
    """A short non-link line (date, category, lead) beside the headline links of a teaser list:
    between two of them, or a date right after one."""
    t = _title_like(f)
    before = f.shift(t, -1, False) | f.shift(t, -2, False)
    after = f.shift(t, 1, False) | f.shift(t, 2, False)
    # the bound header_block reads date cues with: one RE2 pass for both
    dated = f.shift(t, -1, False) & f.cue("date", max_words=40) & (f.n_words <= 8)
    return f.is_html & ~f.in_main & ~t & ((before & after) | dated) & (f.n_words <= 40)


@rule("other.page_edge.v1", "other", weight=0.3)
def page_edge(f: Frame) -> Mask:
    """Short blocks in the first or last tenth of an HTML page, outside the main container:
    masthead and footer furniture. Misses menus in the middle of the page."""
    edge = (f.rel_pos < 0.1) | (f.rel_pos > 0.9)
    return f.is_html & edge & ~f.in_main & (f.n_words < 6)


@rule("comment_ui.comment_block.v1", "comment_ui", weight=3.0)
def comment_block(f: Frame) -> Mask:
    """The block or a near ancestor is a comment (class/id `comment-body`, `comment-123`,
    disqus): user comments are comment_ui even inside the main container and even when long.
    Misses comment widgets with neutral class names."""
    return f.is_html & f.near_attrs(_COMMENT)


@rule("caption.after_image.v1", "caption", weight=2.5)
def after_image(f: Frame) -> Mask:
    """A short line (2-15 words, no links) right after an image in the story's container: its
    caption, even without a <figcaption>. Outside the story, text after an image is a teaser
    card or an ad. Misses captions above the image; hits a short paragraph after an image."""
    heading = f.match("tag_path", r"(^|>)h[1-6]$")
    return (f.is_html & f.in_main & f.after_image & (f.n_words >= 2) & (f.n_words <= 15)
            & (f.link_density < 0.3) & ~heading)


@rule("teaser.card.v1", "teaser", weight=1.2)
def card(f: Frame) -> Mask:
    """The block or a near ancestor is a card or tile outside the story (title, label, lead
    of a card linking to another article). Misses cards without such class names."""
    in_story = f.in_main & (f.link_density < 0.5)
    return (f.is_html & f.near_attrs(_CARD, tokens=8) & ~in_story & (f.n_words <= 40))


@rule("ad.signup_form.v1", "ad", weight=2.5)
def signup_form(f: Frame) -> Mask:
    """Every block of a sign-up form: a run of blocks inside <form> in which one holds an ad
    cue ("Subscribe", "newsletter", "in your inbox") and none a comment-form sentence ("Leave
    a reply", "Your email address will not be published"; field names such as "Email*" are
    in both kinds of form). Its field labels, edition pickers and fine print ("Hold Ctrl or
    Cmd to select multiple editions.") carry no cue of their own."""
    inside = f.is_html & f.match("tag_path", r"(^|>)form(>|$)")
    if not inside.any():
        return inside
    after_inside = f.shift(inside, -1, False)  # the block before is in a form of this page
    run = np.cumsum(inside & ~after_inside) - 1  # consecutive in-form blocks of one page
    n_runs = int(run[-1]) + 1
    ad = np.zeros(n_runs, dtype=np.bool_)
    ad[run[inside & f.cue("ad")]] = True
    comment = np.zeros(n_runs, dtype=np.bool_)
    # comment_ui.cue.v1's bound: the same RE2 pass serves both rules (Frame.cue caches it)
    comment[run[inside & f.cue("comment_ui", max_words=40) & (f.n_words >= 3)]] = True
    signup: Mask = inside & (ad & ~comment)[np.maximum(run, 0)]
    return signup
