"""HTML pages: DOM-block segmentation, properties on generated pages (hypothesis)."""

from __future__ import annotations

import html as htmllib
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from curation.segment import segment_page

_word = st.text(alphabet=st.characters(whitelist_categories=("L", "N")), min_size=1, max_size=8)
_words = st.lists(_word, min_size=1, max_size=12).map(" ".join)


@st.composite
def _block(draw: st.DrawFn, depth: int = 0) -> tuple[str, list[str]]:
    """(html, expected segment texts) for a random block, nested up to 3 levels."""
    kind = draw(st.sampled_from(["p", "li", "h2", "div", "a", "figcaption", "nested", "script"]))
    text = draw(_words)
    esc = htmllib.escape(text)
    cls = draw(st.sampled_from(["", ' class="related"', ' id="main-content"', ' class="ad x"']))
    if kind == "script":
        return f"<script>var x = '{esc}';</script>", []
    if kind == "a":  # a link on its own is inline: it forms a block with its parent's text
        return f"<div{cls}><a href='/x'>{esc}</a></div>", [text]
    if kind == "nested" and depth < 3:
        inner = draw(st.lists(_block(depth + 1), min_size=1, max_size=3))
        return (
            f"<section{cls}>{''.join(h for h, _ in inner)}</section>",
            [t for _, ts in inner for t in ts],
        )
    tag = "div" if kind == "nested" else kind
    if tag == "li":
        return f"<ul><li{cls}>{esc}</li></ul>", [text]
    return f"<{tag}{cls}>{esc}</{tag}>", [text]


@st.composite
def _html_page(draw: st.DrawFn) -> tuple[str, list[str]]:
    blocks = draw(st.lists(_block(), max_size=15))
    body = "".join(h for h, _ in blocks)
    return (
        f"<html><head><title>t</title></head><body>{body}</body></html>",
        [t for _, ts in blocks for t in ts],
    )


@given(_html_page())
def test_blocks_match_generated_text(page: tuple[str, list[str]]) -> None:
    html, expected = page
    segs = segment_page({"page_id": "h", "format": "html", "content": html})
    assert [s["text"] for s in segs] == [" ".join(t.split()) for t in expected if t.strip()]


@given(_html_page())
def test_offsets_exact_ordered_deterministic(page: tuple[str, list[str]]) -> None:
    html, _ = page
    segs = segment_page({"page_id": "h", "format": "html", "content": html})
    visible = "\n".join(s["text"] for s in segs)
    prev_end = -1
    for i, s in enumerate(segs):
        assert s["position"] == i and s["segment_id"] == f"h:{i}"
        assert visible[s["start"] : s["end"]] == s["text"] != ""
        assert s["start"] > prev_end
        prev_end = s["end"]
        assert 0.0 <= s["link_density"] <= 1.0
    assert segs == segment_page({"page_id": "h", "format": "html", "content": html})


def _segments(html: str) -> list[dict[str, Any]]:
    return segment_page({"page_id": "h", "format": "html", "content": html})


def test_inline_links_join_and_density() -> None:
    segs = _segments(
        "<div class='Related-Posts'>See <a href='#'>this story</a> <b>now</b><p>para</p>tail</div>"
    )
    assert [s["text"] for s in segs] == ["See this story now", "para", "tail"]
    density = len("this story") / len("See this story now")
    assert abs(segs[0]["link_density"] - density) < 1e-6  # stored as float32
    assert segs[0]["attrs"] == "related posts"
    assert segs[1]["tag_path"] == "body>div>p"


def test_named_anchor_is_not_a_link() -> None:
    # documentation marks its sections with <a name=...>: the heading is not a linked title
    segs = _segments("<h2><a name='setup'>Setup</a></h2><h2><a href='/setup'>Setup</a></h2>"
                     "<p><a id='x'>plain</a> and <a href='#x'>linked</a></p>")
    assert [s["text"] for s in segs] == ["Setup", "Setup", "plain and linked"]
    assert [s["link_density"] for s in segs[:2]] == [0.0, 1.0]
    assert abs(segs[2]["link_density"] - len("linked") / len("plain and linked")) < 1e-6
    assert segs[0]["tag_path"] == "body>h2"


def test_skips_scripts_styles_comments() -> None:
    segs = _segments(
        "<p>a<!-- c --></p><style>p{}</style><script>x</script><svg><text>s</text></svg>"
    )
    assert [s["text"] for s in segs] == ["a"]


def test_no_body_and_garbage() -> None:
    assert _segments("") == []
    assert [s["text"] for s in _segments("just text")] == ["just text"]
    assert _segments("<html><head><title>x</title></head></html>") == []


def test_main_container() -> None:
    para = " ".join(["word"] * 30)
    html = (
        f"<nav><a href=#>Home</a></nav><div id=story><h1>Title</h1><p>{para}</p>"
        f"<p>{para}</p></div><footer>(c) site</footer>"
    )
    segs = _segments(html)
    assert {s["text"][:5]: s["in_main"] for s in segs} == {
        "Home": False,
        "Title": True,
        "word ": True,
        "(c) s": False,
    }
