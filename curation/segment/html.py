"""HTML pages: one segment per DOM text block, parsed with selectolax (lexbor).

Every block-level element starts and ends a segment; inline text inside it (links, spans) joins
the current segment. Per segment we keep its tag path, the class/id tokens of its ancestors, its
link density, and whether it sits in the page's main-text container (a readability-style score
over ancestors: the deepest element holding most of the page's long, link-poor text)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from selectolax.lexbor import LexborHTMLParser

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
    truncated: int = 0  # blocks cut to max_chars
    flattened: int = 0  # tags dropped for nesting deeper than _MAX_DEPTH

    def __len__(self) -> int:
        return len(self.text)


@dataclass(slots=True)
class HtmlBlock:
    text: str
    tag_path: str
    attrs: str  # class/id/role/itemprop tokens of the block and its ancestors, outermost first
    link_density: float
    in_main: bool = False
    after_image: bool = False


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


def _tag_ids(names: Iterable[str]) -> dict[str, int]:
    """lexbor's numeric id of each standard tag name (ids of known tags are fixed)."""
    ids = {}
    for name in names:
        for html in (f"<{name}></{name}>", f"<table><{name}></{name}></table>"):  # td, tr ...
            found = [n for n in LexborHTMLParser(html).root.traverse() if n.tag == name]
            if found:
                ids[name] = int(found[0].tag_id)
                break
    return ids


_TEXT_ID = int(next(n for n in LexborHTMLParser("<p>t</p>").root.traverse(include_text=True)
                    if n.tag == "-text").tag_id)
# kind per tag id: 1 block, 2 skipped, 3 link; other tags are inline (their text only)
_KIND_BY_ID = {**{i: 2 for i in _tag_ids(SKIP_TAGS).values()},
               **{i: 1 for i in _tag_ids(BLOCK_TAGS).values()}, _tag_ids(["a"])["a"]: 3}
_IMAGE_IDS = frozenset(_tag_ids(_IMAGE_TAGS).values())
assert len(_KIND_BY_ID) == len(SKIP_TAGS) + len(BLOCK_TAGS) + 1, "a tag lexbor does not know"


def _end_marker(node: Any, root_id: int, memo: dict[int, int]) -> int:
    """mem_id of the first node after *node*'s subtree in pre-order (-1: none). Inline parents
    are not tracked, so this walks up; every node passed on the way is memoised, so each node
    is climbed over once per page and deep nesting stays linear."""
    climbed: list[int] = []
    end = -1
    while True:
        nxt = node.next
        if nxt is not None:
            end = int(nxt.mem_id)
            break
        node = node.parent
        if node is None:
            break
        mid = node.mem_id
        if mid == root_id:
            break
        known = memo.get(mid)
        if known is not None:
            end = known
            break
        climbed.append(mid)
    for mid in climbed:
        memo[mid] = end
    return end


def limit_depth(html: str, max_depth: int = _MAX_DEPTH, scan_from: int = _SCAN_TAGS
                ) -> tuple[str, int]:
    """*html* with the tags nested deeper than *max_depth* removed, and how many were removed;
    pages with fewer than *scan_from* '<' are returned as they are, unscanned.

    >>> limit_depth("<div><div><div>x</div></div></div>", 2, scan_from=0)
    ('<div><div>x</div></div>', 2)
    """
    if html.count("<") < max(scan_from, max_depth):
        return html, 0
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


def html_blocks(html: str, max_chars: int = 100_000) -> list[HtmlBlock]:
    """Split *html* into text blocks in document order, with main-container flags set."""
    c = html_block_columns(html, max_chars)
    return [HtmlBlock(*row) for row in
            zip(c.text, c.tag_path, c.attrs, c.link_density, c.in_main, c.after_image, strict=True)]


def html_block_columns(html: str, max_chars: int = 100_000) -> BlockColumns:
    """Split *html* into text blocks in document order, as columns, with main-container flags.

    One pass over lexbor's pre-order traversal. Each open element remembers the node that
    follows its subtree; meeting that node means the element was left (no Python recursion,
    no parent look-ups: this loop is the hot path of HTML segmentation).
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
    if root is None:
        return BlockColumns(texts, paths, attr_col, densities, [], [], 0, flattened)
    parts: list[str] = []
    link_chars = 0
    # per open element (blocks, links, skipped): end marker, kind (1 block, 2 skipped, 3 link);
    # per open block or link: its ordinal, tag and node. Reading attributes is the costliest
    # call on a node (~1.4 us), so class/id tokens are read lazily, only for the elements that
    # hold a block when one is emitted: attr_strs[i] = tokens of open elements 0..i, joined.
    ends: list[int] = []
    kinds: list[int] = []
    ords: list[int] = []
    path: list[str] = []
    open_nodes: list[Any] = []
    attr_strs: list[str] = []
    skip_depth = link_depth = ordinal = 0
    image_seen = False
    # main-container score: per element ordinal, the good text below it, and its depth; the
    # good text is added to the innermost open element and passed up when it closes (below)
    below: list[float] = []
    score: dict[int, float] = {}
    depth: dict[int, int] = {}
    last_desc: dict[int, int] = {}  # element ordinal -> ordinal of its last descendant

    memo: dict[int, int] = {}
    root_id = root.mem_id
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
        density = min(1.0, link_chars / len(text))
        texts.append(text)
        paths.append(">".join(path[-_MAX_PATH:]))
        while len(attr_strs) < len(open_nodes):
            toks = _tokens(open_nodes[len(attr_strs)].attributes)
            prev = attr_strs[-1] if attr_strs else ""
            if len(prev) >= _MAX_ATTR_CHARS or not toks:
                attr_strs.append(prev)  # the same string object: deep nesting stays linear
            else:
                attr_strs.append(f"{prev} {toks}" if prev else toks)
        attr_col.append(attr_strs[-1] if attr_strs else "")
        densities.append(density)
        owners.append(ords[-1])
        images.append(image_seen)
        image_seen = False
        if density <= _MAIN_MAX_LINKS and text.count(" ") + 1 >= _MAIN_MIN_WORDS:
            below[-1] += len(text) * (1.0 - density)

    kind_of, image_ids, text_id = _KIND_BY_ID.get, _IMAGE_IDS, _TEXT_ID
    for node in root.traverse(include_text=True):
        mid = node.mem_id
        while ends and ends[-1] == mid:  # leave every element whose subtree is over
            ends.pop()
            k = kinds.pop()
            if k == 2:
                skip_depth = 0
                continue
            if k == 1 and parts:
                emit(link_chars)
                link_chars = 0
            elif k == 3:
                link_depth -= 1
            path.pop()
            open_nodes.pop()
            if len(attr_strs) > len(open_nodes):
                attr_strs.pop()
            _close(ords, below, score, depth)
            last_desc[ords.pop()] = ordinal
        tid = node.tag_id  # an int: cheaper to read than the tag name
        if tid == text_id:
            if not skip_depth:
                txt = node.text_content
                if txt:
                    if txt.isspace():
                        if parts:  # a space between words; leading space is dropped anyway
                            parts.append(" ")
                    else:
                        parts.append(txt)
                        if link_depth:
                            link_chars += len(txt.strip())
            continue
        k = kind_of(tid, 0)
        if k == 2:
            if tid in image_ids and not parts:
                image_seen = True
            if not skip_depth:  # nodes inside are passed over until this element's end
                skip_depth = 1
                ends.append(_end_marker(node, root_id, memo))
                kinds.append(2)
            continue
        if not k:
            continue  # inline elements (span, b, em ...), comments, doctype: text only
        if skip_depth:
            continue
        tag = node.tag
        if k == 1:
            if parts:
                emit(link_chars)
                link_chars = 0
        else:
            link_depth += 1
        nxt = node.next
        end = nxt.mem_id if nxt is not None else _end_marker(node, root_id, memo)
        open_nodes.append(node)
        ordinal += 1
        path.append(tag)
        ords.append(ordinal)
        below.append(0.0)
        ends.append(end)
        kinds.append(k)
    if parts and ords:
        emit(link_chars)
    while ords:  # elements open until the end of the document
        _close(ords, below, score, depth)
        ords.pop()
    in_main = _main_flags(owners, score, depth, last_desc, ordinal)
    return BlockColumns(texts, paths, attr_col, densities, in_main, images, truncated, flattened)


def _close(ords: list[int], below: list[float], score: dict[int, float],
           depth: dict[int, int]) -> None:
    """The innermost open element closes: record its good text, pass it to its parent."""
    good = below.pop()
    if good:
        o = ords[-1]
        score[o] = good
        depth[o] = len(ords) - 1
        if below:
            below[-1] += good


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


def main_container_flags(blocks: list[HtmlBlock]) -> list[bool]:
    """The in_main flags of *blocks* (set by html_blocks)."""
    return [b.in_main for b in blocks]
