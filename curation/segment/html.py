"""HTML pages: one segment per DOM text block, parsed with selectolax (lexbor).

Every block-level element starts and ends a segment; inline text inside it (links, spans) joins
the current segment. Per segment we keep its tag path, the class/id tokens of its ancestors, its
link density, and whether it sits in the page's main-text container (a readability-style score
computed over ancestors: the element holding most of the page's long, link-poor text)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser

BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "br",
        "caption",
        "center",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "html",
        "legend",
        "li",
        "main",
        "menu",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
        "option",
        "label",
        "button",
        "select",
        "textarea",
    ]
)
SKIP_TAGS = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "canvas",
        "head",
        "iframe",
        "object",
        "embed",
        "math",
        "title",
        "meta",
        "link",
        "input",
        "img",
        "video",
        "audio",
        "source",
        "picture",
        "map",
        "area",
    ]
)
_WS = re.compile(r"\s+")
_TOKEN_ATTRS = frozenset(("class", "id", "role", "itemprop"))
_MAX_PATH = 12


@dataclass(slots=True)
class HtmlBlock:
    text: str
    tag_path: str
    attrs: str
    link_density: float
    ancestors: tuple[int, ...]  # element ordinals from the root, for the main-container score


_TOKEN = re.compile(r"[a-z0-9]{2,}")
_token_cache: dict[str, tuple[str, ...]] = {}


def _tokens(attributes: dict[str, str | None]) -> tuple[str, ...]:
    """Lower-cased class/id/role/itemprop tokens (cached: pages repeat the same class strings)."""
    raw = " ".join(v for k, v in attributes.items() if v and k in _TOKEN_ATTRS)
    if not raw:
        return ()
    toks = _token_cache.get(raw)
    if toks is None:
        toks = tuple(_TOKEN.findall(raw.lower()))
        if len(_token_cache) < 200_000:
            _token_cache[raw] = toks
    return toks


def html_blocks(html: str, max_chars: int = 100_000) -> list[HtmlBlock]:
    """Split *html* into text blocks in document order.

    One pass over lexbor's pre-order traversal. Each open element remembers the node that
    follows its subtree; meeting that node means the element was left (no Python recursion,
    no parent look-ups: this loop is the hot path of HTML segmentation).
    """
    tree = LexborHTMLParser(html)
    root = tree.body if tree.body is not None else tree.root
    if root is None:
        return []
    blocks: list[HtmlBlock] = []
    parts: list[str] = []
    link_chars = 0
    ends: list[int] = []  # mem_id of the node after each open element's subtree (-1: none)
    kinds: list[int] = []  # 0 inline, 1 block, 2 skipped (script, svg ...), 3 link
    ntoks: list[int] = []
    path: list[str] = []
    tokens: list[str] = []
    anc: list[int] = []
    skip_depth = link_depth = ordinal = 0
    blocktags = BLOCK_TAGS
    skiptags = SKIP_TAGS

    def emit(link_chars: int) -> None:
        text = _WS.sub(" ", "".join(parts)).strip()
        parts.clear()
        if text:
            blocks.append(
                HtmlBlock(
                    text[:max_chars],
                    ">".join(path[-_MAX_PATH:]),
                    " ".join(dict.fromkeys(tokens)),
                    min(1.0, link_chars / len(text)),
                    tuple(anc),
                )
            )

    for node in root.traverse(include_text=True):
        mid = node.mem_id
        while ends and ends[-1] == mid:
            ends.pop()
            k = kinds.pop()
            nt = ntoks.pop()
            if k == 2:
                skip_depth -= 1
                continue
            if k == 1 and parts:
                emit(link_chars)
                link_chars = 0
            elif k == 3:
                link_depth -= 1
            path.pop()
            anc.pop()
            if nt:
                del tokens[-nt:]
        tag = node.tag
        if tag == "-text":
            if not skip_depth:
                txt = node.text_content
                if txt and not txt.isspace():
                    parts.append(txt)
                    if link_depth:
                        link_chars += len(txt.strip())
                elif txt:
                    parts.append(" ")
            continue
        if tag is None or tag[0] in "_!-":
            continue
        nxt = node.next
        end = nxt.mem_id if nxt is not None else ends[-1] if ends else -1
        if skip_depth or tag in skiptags:
            skip_depth += 1
            ends.append(end)
            kinds.append(2)
            ntoks.append(0)
            continue
        if tag in blocktags:
            if parts:
                emit(link_chars)
                link_chars = 0
            k = 1
            toks = _tokens(node.attributes)
        elif tag == "a":
            k = 3
            link_depth += 1
            toks = _tokens(node.attributes)
        else:
            k = 0
            toks = ()
        ordinal += 1
        if toks:
            tokens.extend(toks)
        path.append(tag)
        anc.append(ordinal)
        ends.append(end)
        kinds.append(k)
        ntoks.append(len(toks))
    if parts:
        emit(link_chars)
    return blocks


def main_container_flags(blocks: list[HtmlBlock], min_words: int = 12) -> list[bool]:
    """Flag blocks inside the element that holds most long, link-poor text (readability-style).

    Scores each ancestor by the non-link characters of long blocks below it; picks the deepest
    ancestor that still holds at least 60 % of the best total, so one long comment elsewhere does
    not move the container. Pages without long text get no flags.
    """
    score: dict[int, float] = {}
    depth: dict[int, int] = {}
    total = 0.0
    for b in blocks:
        words = b.text.count(" ") + 1
        if words < min_words or b.link_density > 0.35:
            continue
        good = len(b.text) * (1.0 - b.link_density)
        total += good
        for d, a in enumerate(b.ancestors):
            score[a] = score.get(a, 0.0) + good
            depth[a] = d
    if not score:
        return [False] * len(blocks)
    best = max(score.values())
    threshold = 0.6 * best
    container = max((a for a, s in score.items() if s >= threshold), key=lambda a: depth[a])
    return [container in b.ancestors for b in blocks]
