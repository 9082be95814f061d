"""The HTML walk gives, column for column, what the walk it replaced gave (walk_oracle.py):
on messy generated pages (unclosed tags, links around blocks, images inside skipped elements,
comments, whitespace runs, text after the last block), on the bundled sample pages and on
every gold page with HTML."""

from __future__ import annotations

import gzip
import json
from dataclasses import astuple
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser

from curation.io.decode import decode_bytes
from curation.io.readers import builtin_samples
from curation.segment.html import (
    _IMAGE_IDS,
    _KIND_BY_ID,
    _MAIN_MAX_LINKS,
    _MAIN_MIN_WORDS,
    _MAX_ATTR_CHARS,
    _MAX_PATH,
    _TEXT_ID,
    BlockColumns,
    _main_flags,
    _tokens,
    html_block_columns,
    limit_depth,
)
from curation.segment.links import block_link_kind

# ---- the earlier walk: lexbor's pre-order traversal of every node, each open element
# remembering the node that follows its subtree ----

# the earlier kinds: comments and doctype were inline (their text only: none)
_KINDS = {tag_id: kind for tag_id, kind in _KIND_BY_ID.items() if kind != 4}


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


def oracle_block_columns(html: str, max_chars: int = 100_000) -> BlockColumns:
    """The blocks of *html* by the earlier walk: lexbor's pre-order traversal of every node,
    each open element remembering the node that follows its subtree."""
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
    # a block's links: those opened since the block began or the last block was emitted, and
    # the open links whose text it holds
    new_hrefs: list[str] = []
    open_hrefs: list[str] = []
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
        link_kinds.append(block_link_kind(new_hrefs) if new_hrefs else None)
        new_hrefs.clear()
        if density <= _MAIN_MAX_LINKS and text.count(" ") + 1 >= _MAIN_MIN_WORDS:
            below[-1] += len(text) * (1.0 - density)

    kind_of, image_ids, text_id = _KINDS.get, _IMAGE_IDS, _TEXT_ID
    for node in root.traverse(include_text=True):  # every node, text included
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
                open_hrefs.pop()
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
                            if open_hrefs[-1] not in new_hrefs:
                                new_hrefs.append(open_hrefs[-1])
            continue
        k = kind_of(tid, 0)
        if k == 3 and "href" not in node.attributes:
            k = 0  # a named anchor: inline text, not link text
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
            new_hrefs.clear()
        else:
            link_depth += 1
            new_hrefs.append(node.attributes["href"] or "")
            open_hrefs.append(node.attributes["href"] or "")
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
    return BlockColumns(texts, paths, attr_col, densities, in_main, images, link_kinds,
                        truncated, flattened)


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


# ---- the comparison ----

_OPEN = ["<div class='story main'>", "<p>", "<span>", "<a href='#'>", "<a name=n>", "<a href>",
         "<b>",
         "<ul>", "<li>", "<table><tr><td>", "<section id=related>", "<h2>", "<figure>",
         "<my-widget>", "<noscript>", "<picture>", "<svg><g>", "<button>", "<label>", "<em>",
         "<blockquote>", "<canvas>", "<object>", "<a href='https://twitter.com/site'>",
         "<a href='https://www.facebook.com/sharer/sharer.php?u=x'>", "<a href=https://amzn.to/x>"]
_CLOSE = ["</div>", "</p>", "</span>", "</a>", "</a>", "</a>", "</b>", "</ul>", "</li>",
          "</td></tr></table>", "</section>", "</h2>", "</figure>", "</my-widget>", "</noscript>",
          "</picture>", "</g></svg>", "</button>", "</label>", "</em>", "</blockquote>",
          "</canvas>", "</object>", "</a>", "</a>", "</a>"]
_LEAF = ["<img src=x>", "<br>", "<hr>", "<!-- note -->", "<script>var s = '<p>x</p>';</script>",
         "<style>p{}</style>", "<video></video>", "<input value=v>", " ", "\n  ", "\u00a0",
         "&nbsp;", "&amp; more"]
_WORDS = st.lists(st.sampled_from(["news", "Read", "more", "über", "日本", "x", "the story",
                                   "a longer sentence of body text with many words in it"]),
                  min_size=1, max_size=6).map(" ".join)
_TOKEN = st.one_of(st.sampled_from(_OPEN), st.sampled_from(_CLOSE), st.sampled_from(_LEAF),
                   _WORDS)


def _same(html: str) -> None:
    got, want = html_block_columns(html), oracle_block_columns(html)
    assert astuple(got) == astuple(want)


@given(st.lists(_TOKEN, max_size=60).map("".join))
def test_walk_matches_the_earlier_walk_on_generated_pages(body: str) -> None:
    _same(body)
    _same(f"<html><head><title>t</title></head><body>{body}</body></html>")


def test_walk_matches_the_earlier_walk_on_the_samples() -> None:
    pages = sorted(Path(builtin_samples()).glob("*.html"))
    assert pages
    for path in pages:
        _same(decode_bytes(path.read_bytes()))


def test_walk_matches_the_earlier_walk_at_the_edges() -> None:
    long_words = " ".join(["word"] * 40)
    for html in ["", "plain text", "<p>a</p> tail", f"<div><p>{long_words}</p></div><a>x",
                 "<a><div>in a link</div> after</a>", "<div>" * 1200 + "deep" + "</div>" * 1200,
                 "<p>x</p><!-- last -->", "<img><p>after an image</p>",
                 "<noscript><img></noscript><p>marked</p>",
                 "<canvas><b><img></b></canvas><p>marked</p>", "<frameset></frameset>"]:
        _same(html)


@pytest.mark.shared_data
def test_walk_matches_the_earlier_walk_on_the_gold_pages(shared_data: Path) -> None:
    seen = 0
    for name in ("gold-dev.jsonl.gz", "gold-taxonomy-dev.jsonl.gz"):
        with gzip.open(shared_data / name, "rt", encoding="utf-8") as fh:
            for line in fh:
                html = json.loads(line).get("html")
                if isinstance(html, str):
                    _same(html)
                    seen += 1
    assert seen > 300
