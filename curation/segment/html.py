"""HTML pages: one segment per DOM text block, parsed with selectolax (lexbor).

Every block-level element starts and ends a segment; inline text inside it (links, spans) joins
the current segment. Per segment we keep its tag path, the class/id tokens of its ancestors, its
link density, and whether it sits in the page's main-text container (a readability-style score
over ancestors: the deepest element holding most of the page's long, link-poor text)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
from selectolax.lexbor import LexborHTMLParser

from curation.segment.links import block_link_kind

# fmt: off
BLOCK_TAGS = frozenset(
    str.split(
    "address article aside blockquote body br caption center dd details dialog div dl dt "
    "fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr html legend li main "
    "menu nav ol p pre section summary table tbody td tfoot th thead tr ul option label "
    "button select textarea"
))
SKIP_TAGS = frozenset(
    str.split(
    "script style noscript template svg canvas head iframe object embed math title meta link "
    "input img video audio source picture map area"
))
# fmt: on
_TOKEN = re.compile(r"[a-z0-9]{2,}")
_MAX_PATH = 12
# ancestors' class/id tokens past this many characters are dropped (gold pages reach 2,500);
# uncapped, deep nesting would build strings quadratic in depth
_MAX_ATTR_CHARS = 8_000
_IMAGE_TAGS = frozenset(("img", "picture", "video"))
_MAIN_MIN_WORDS = 12  # a block this long and link-poor counts towards the main container
_MAIN_MAX_LINKS = 0.35
_MAIN_SHARE = 0.6  # the container is the deepest element with >= 60 % of the best score
_token_cache: dict[tuple[str | None, ...], str] = {}
# An HTML5 parser checks the stack of open elements on every start tag, so parsing is quadratic
# in nesting depth (lexbor: 20,000 nested <div>s take 4 s). Real pages nest < 100 deep; a page
# with many tags is scanned, and tags nested deeper than _MAX_DEPTH are dropped (their text kept).
_MAX_DEPTH = 1_000
_SCAN_TAGS = 4_000  # pages with fewer '<' cannot nest deep enough to be slow
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*?(/?)>")
# elements that never nest: void, or closed implicitly by their next sibling
_FLAT_TAGS = frozenset(str.split(
    "area base br col embed hr img input link meta param source track wbr p li dt dd tr td th "
    "option optgroup rb rt rp thead tbody tfoot colgroup caption"
))


@dataclass(slots=True)
class BlockColumns:
    """The blocks of one page as parallel lists (no per-block objects on the hot path)."""

    text: list[str]
    tag_path: list[str]
    attrs: list[str]
    link_density: list[float]
    in_main: list[bool]
    after_image: list[bool]  # an <img>/<picture>/<video> came since the previous block
    link_kind: list[str | None]  # what most of its links point to (segment/links.py)
    truncated: int = 0  # blocks cut to max_chars
    flattened: int = 0  # tags dropped for nesting deeper than _MAX_DEPTH

    def __len__(self) -> int:
        return len(self.text)


def _tokens(attributes: dict[str, str | None]) -> str:
    """Lower-cased alphanumeric tokens of class, id, role and itemprop, space-joined (cached:
    pages repeat the same class strings)."""
    if not attributes:
        return ""
    get = attributes.get
    key = (get("class"), get("id"), get("role"), get("itemprop"))
    toks = _token_cache.get(key)
    if toks is None:
        raw = " ".join(v for v in key if v)
        toks = " ".join(_TOKEN.findall(raw.lower()))
        if len(_token_cache) < 200_000:
            _token_cache[key] = toks
    return toks


def _node_ids(html: str) -> dict[str, int]:
    """lexbor's numeric id of every node name in the parse of *html* ("p", "-text" ...)."""
    root = LexborHTMLParser(html).root
    if root is None:
        return {}
    top = root.parent or root  # the document: a doctype and comments before <html> too
    return {n.tag: int(n.tag_id) for n in top.traverse(include_text=True) if n.tag}


def _tag_ids(names: Iterable[str]) -> dict[str, int]:
    """lexbor's numeric id of each standard tag name (ids of known tags are fixed)."""
    ids = {}
    for name in names:
        for html in (f"<{name}></{name}>", f"<table><{name}></{name}></table>"):  # td, tr ...
            found = _node_ids(html).get(name)
            if found is not None:
                ids[name] = found
                break
    return ids


_TEXT_ID, _COMMENT_ID, _DOCTYPE_ID = (_node_ids("<!doctype html><!-- c --><p>t</p>")[name]
                                      for name in ("-text", "-comment", "-doctype"))
# kind per tag id: 1 block, 2 skipped, 3 link, 4 no text (comments, doctype); other tags are
# inline (their text only)
_KIND_BY_ID = {**{i: 2 for i in _tag_ids(SKIP_TAGS).values()},
               **{i: 1 for i in _tag_ids(BLOCK_TAGS).values()}, _tag_ids(["a"])["a"]: 3,
               _COMMENT_ID: 4, _DOCTYPE_ID: 4}
_IMAGE_IDS = frozenset(_tag_ids(_IMAGE_TAGS).values())
assert len(_KIND_BY_ID) == len(SKIP_TAGS) + len(BLOCK_TAGS) + 3, "a tag lexbor does not know"


def _ascii_any_case(word: str) -> str:
    """A pattern matching *word* in any ASCII case (re.IGNORECASE would also let [a-z] match
    the Kelvin sign and the long s, which _TAG's names never hold)."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)


# _TAG's matches, each as "<" (an opening tag that nests), "</" (a closing one) or "" (a
# self-closing or _FLAT_TAGS tag, skipped as limit_depth skips them): one findall in C
_NESTING_MARK = re.compile(
    r"(?:(</?)(?=(?!(?:" + "|".join(_ascii_any_case(t) for t in sorted(_FLAT_TAGS))
    + r")(?![a-zA-Z0-9-]))[a-zA-Z][^>]*+(?<!/)>)|</?(?=[a-zA-Z]))[a-zA-Z][^>]*+>")


# the same on UTF-8 bytes (ASCII only: a multi-byte character holds no '<', '/' or '>' byte)
_NESTING_MARK_UTF8 = re.compile(_NESTING_MARK.pattern.encode("ascii"))


def _max_depth(html: str | bytes) -> int:
    """The deepest nesting limit_depth's scan reaches when it drops nothing (its depth after
    each tag: opening tags add one, closing ones take one away down to zero), computed over
    the tags' marks with numpy.

    >>> _max_depth("<div><p>a<br/><DIV>b</DIV></div></div></div><span>c")
    2
    """
    marks = (b"".join(_NESTING_MARK_UTF8.findall(html)) if isinstance(html, bytes)
             else "".join(_NESTING_MARK.findall(html)).encode("ascii"))
    if not marks:
        return 0
    codes = np.frombuffer(marks, dtype=np.uint8)
    starts = np.flatnonzero(codes == ord("<"))
    closing = np.zeros(len(starts), dtype=bool)
    inside = starts + 1 < len(codes)
    closing[inside] = codes[starts[inside] + 1] == ord("/")
    walk = np.cumsum(np.where(closing, -1, 1))
    # clamped at zero: the depth is the walk minus its lowest point so far (when below zero)
    depth = walk - np.minimum(np.minimum.accumulate(walk), 0)
    return int(depth.max())


@overload
def limit_depth(html: str, max_depth: int = ..., scan_from: int = ...) -> tuple[str, int]: ...
@overload
def limit_depth(html: bytes, max_depth: int = ..., scan_from: int = ...) -> tuple[bytes, int]: ...
def limit_depth(html: str | bytes, max_depth: int = _MAX_DEPTH, scan_from: int = _SCAN_TAGS
                ) -> tuple[str | bytes, int]:
    """*html* (text or UTF-8 bytes) with the tags nested deeper than *max_depth* removed, and
    how many were removed; pages with fewer than *scan_from* '<' are returned as they are,
    unscanned, and so are pages whose nesting stays within *max_depth* (a regular expression
    and numpy tell).

    >>> limit_depth("<div><div><div>x</div></div></div>", 2, scan_from=0)
    ('<div><div>x</div></div>', 2)
    """
    tags = html.count(b"<") if isinstance(html, bytes) else html.count("<")
    if tags < max(scan_from, max_depth) or _max_depth(html) <= max_depth:
        return html, 0
    if isinstance(html, bytes):  # rare: scanned as text
        text, dropped = _scan_depth(html.decode("utf-8"), max_depth)
        return text.encode("utf-8"), dropped
    return _scan_depth(html, max_depth)


def _scan_depth(html: str, max_depth: int) -> tuple[str, int]:
    """limit_depth's tag-by-tag scan of a page that nests past *max_depth*."""
    pieces: list[str] = []
    depth = dropped = kept_to = 0
    for m in _TAG.finditer(html):
        closing, name, selfclosing = m.group(1), m.group(2).lower(), m.group(3)
        if selfclosing or name in _FLAT_TAGS:
            continue
        if closing:
            if dropped:
                dropped -= 1
            else:
                depth = max(depth - 1, 0)
                continue
        elif depth < max_depth:
            depth += 1
            continue
        else:
            dropped += 1
        pieces.append(html[kept_to:m.start()])
        kept_to = m.end()
    if not pieces:
        return html, 0
    pieces.append(html[kept_to:])
    return "".join(pieces), len(pieces) - 1


def html_block_columns(html: str | bytes, max_chars: int = 100_000) -> BlockColumns:
    """Split *html* into text blocks in document order, as columns, with main-container flags.
    UTF-8 bytes are parsed as they are (lexbor encodes text to them first).

    One pass over the tree, children by children (a stack of lexbor's child iterators): the
    subtree of a skipped element (script, svg ...) is never entered, and the structure comes
    from the stack, so no node is asked for its parent or its next sibling. This loop is the
    hot path of HTML segmentation: per node it does as little as it can.
    """
    html, flattened = limit_depth(html)
    tree = LexborHTMLParser(html)
    root = tree.body if tree.body is not None else tree.root
    texts: list[str] = []
    paths: list[str] = []
    attr_col: list[str] = []
    densities: list[float] = []
    owners: list[int] = []
    images: list[bool] = []
    link_kinds: list[str | None] = []
    if root is None:
        return BlockColumns(texts, paths, attr_col, densities, [], [], [], 0, flattened)
    parts: list[str] = []
    link_chars = 0
    # per open block or link: (kind 1 block / 3 link, node, tag, ordinal). Reading attributes
    # is the costliest call on a node (~1 us), so class/id tokens are read lazily, only for
    # the elements that hold a block when one is emitted: attr_strs[i] = tokens of open
    # elements 0..i, joined.
    open_els: list[tuple[int, Any, str, int]] = []
    path: list[str] = []  # their tags, for the tag path of a block
    attr_strs: list[str] = []
    link_depth = ordinal = 0
    # a block's links: those opened inside it (an icon link has no text) and those whose text
    # it holds (a link may open before its block, as around a card, or close before its
    # block ends)
    hrefs: list[str] = []
    open_hrefs: list[str] = []  # of the open links, innermost last
    image_seen = False
    # main-container score: per element ordinal, the good text below it, and its depth; the
    # good text is added to the innermost open element and passed up when it closes
    below: list[float] = []
    score: dict[int, float] = {}
    depth: dict[int, int] = {}
    last_desc: dict[int, int] = {}  # scored element's ordinal -> its last descendant's
    truncated = 0

    def emit(link_chars: int) -> None:
        nonlocal image_seen, truncated
        text = " ".join("".join(parts).split())
        parts.clear()
        if not text:
            return
        if len(text) > max_chars:
            text = text[:max_chars]
            truncated += 1
        density = link_chars / len(text)
        if density > 1.0:
            density = 1.0
        texts.append(text)
        paths.append(">".join(path[-_MAX_PATH:]))
        while len(attr_strs) < len(open_els):
            toks = _tokens(open_els[len(attr_strs)][1].attributes)
            prev = attr_strs[-1] if attr_strs else ""
            if len(prev) >= _MAX_ATTR_CHARS or not toks:
                attr_strs.append(prev)  # the same string object: deep nesting stays linear
            else:
                attr_strs.append(f"{prev} {toks}" if prev else toks)
        attr_col.append(attr_strs[-1] if attr_strs else "")
        densities.append(density)
        owners.append(open_els[-1][3])
        images.append(image_seen)
        image_seen = False
        if hrefs:
            link_kinds.append(block_link_kind(hrefs))
            hrefs.clear()
        else:
            link_kinds.append(None)
        if density <= _MAIN_MAX_LINKS and text.count(" ") + 1 >= _MAIN_MIN_WORDS:
            below[-1] += len(text) * (1.0 - density)

    kind_of, image_ids, text_id = _KIND_BY_ID.get, _IMAGE_IDS, _TEXT_ID
    # children iterators of the open elements (inline ones too); an element is left when the
    # next node after its subtree is met, so one that ends the document is never left: the
    # text still open at the end is emitted once, where it stands
    levels: list[Iterator[Any]] = [iter((root,))]
    level_kinds = [0]
    pending = 0  # elements whose subtree is over, left when the next node comes
    while levels:
        for node in levels[-1]:
            while pending:  # leave the elements whose subtree is over, innermost first
                pending -= 1
                if open_els[-1][0] == 1:
                    if parts:  # the block's own text, emitted while it is still open
                        emit(link_chars)
                        link_chars = 0
                else:
                    link_depth -= 1
                    open_hrefs.pop()
                o = open_els.pop()[3]
                path.pop()
                if len(attr_strs) > len(open_els):
                    attr_strs.pop()
                good = below.pop()
                if good:  # pass the element's good text up to its parent
                    score[o] = good
                    depth[o] = len(open_els)
                    last_desc[o] = ordinal
                    if below:
                        below[-1] += good
            tid = node.tag_id  # an int: cheaper to read than the tag name
            if tid == text_id:
                txt = node.text_content
                if txt:
                    if txt.isspace():
                        if parts:  # a space between words; leading space is dropped anyway
                            parts.append(" ")
                    else:
                        parts.append(txt)
                        if link_depth:
                            link_chars += len(txt.strip())
                            if not hrefs or hrefs[-1] is not open_hrefs[-1]:
                                hrefs.append(open_hrefs[-1])
                continue
            k = kind_of(tid, 0)
            if k == 3:  # (href is read here only: it is set whenever the link branch runs)
                # attrs: no dict of them all built; a bare <a href> is a link (value None)
                value = node.attrs.get("href", False)
                if value is False:
                    k = 0  # <a name=...> marks a place, it links nowhere: not link text
                else:
                    href = value if isinstance(value, str) else ""
            if not k:  # inline elements (span, b, em ...): their text only
                levels.append(node.iter(include_text=True))
                level_kinds.append(0)
                break
            if k == 2:  # skipped with its subtree; an image in it marks the next block
                if not parts and not image_seen and (
                        tid in image_ids or any(d.tag_id in image_ids for d in node.traverse())):
                    image_seen = True
                continue
            if k == 4:
                continue  # comments, doctype
            if k == 1:
                if parts:
                    emit(link_chars)
                    link_chars = 0
                hrefs.clear()  # links with no text of their own end with their block
            else:
                link_depth += 1
                hrefs.append(href)
                open_hrefs.append(href)
            ordinal += 1
            tag = node.tag
            open_els.append((k, node, tag, ordinal))
            path.append(tag)
            below.append(0.0)
            levels.append(node.iter(include_text=True))
            level_kinds.append(k)
            break
        else:
            levels.pop()
            if level_kinds.pop():
                pending += 1
    if parts and open_els:
        emit(link_chars)
    while open_els:  # elements open until the end of the document
        o = open_els.pop()[3]
        good = below.pop()
        if good:
            score[o] = good
            depth[o] = len(open_els)
            if below:
                below[-1] += good
    in_main = _main_flags(owners, score, depth, last_desc, ordinal)
    return BlockColumns(texts, paths, attr_col, densities, in_main, images, link_kinds,
                        truncated, flattened)


def _main_flags(
    owners: list[int],
    score: dict[int, float],
    depth: dict[int, int],
    last_desc: dict[int, int],
    last_ordinal: int,
) -> list[bool]:
    """Blocks inside the deepest element holding >= 60 % of the best score (so one long comment
    elsewhere does not move the container). No long text on the page: no block is in_main."""
    if not score:
        return [False] * len(owners)
    best = max(score.values())
    container = max((o for o, s in score.items() if s >= _MAIN_SHARE * best), key=depth.__getitem__)
    end = last_desc.get(container, last_ordinal)
    return [container <= o <= end for o in owners]
