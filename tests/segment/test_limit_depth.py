"""limit_depth's quick answer (a regex and numpy say how deep the page nests) against the
tag-by-tag scan it used to run on every page with many tags."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from curation.segment.html import _FLAT_TAGS, _TAG, _max_depth, limit_depth


def scanned(html: str, max_depth: int) -> tuple[str, int]:
    """The earlier limit_depth, scan_from=0: every page scanned tag by tag."""
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


_PIECES = ["<div>", "</div>", "<DIV id=a>", "</Div >", "<p>", "</p>", "<P/>", "<br/>", "<BR>",
           "<span/>", "<span>", "</span>", "<img alt=\"<b>\"/>", "<b>", "</b>", "<pre>", "</PRE>",
           "<a href=/>", "<li>", "<x-y>", "</x-y>", "<\u212a>", "<lin\u212a>", "<linK>",
           "<!-- <div> -->", "</", "<", "<p/", "<td>", "<table>", "</table>", ">", "<a\n>",
           "</div\n/>", "text", " ", "<tbody>", "<track>", "<trackx>", "<div class='a/'>"]


@given(st.lists(st.sampled_from(_PIECES), max_size=80).map("".join), st.integers(1, 6))
def test_the_quick_answer_is_the_scan(html: str, max_depth: int) -> None:
    assert limit_depth(html, max_depth, scan_from=0) == scanned(html, max_depth)


def test_max_depth_is_the_deepest_point_of_the_scan() -> None:
    assert _max_depth("") == 0
    assert _max_depth("</div></div><div><div>x") == 2  # closing tags never take it below zero
    assert _max_depth("<div><p><li><br><img src=x/><section>") == 2  # p, li, br, img: flat
    deep = "<div>" * 2500 + "x" + "</div>" * 2500  # 5,000 tags: past scan_from
    assert _max_depth(deep) == 2500
    assert limit_depth(deep) == scanned(deep, 1000)
    assert limit_depth(deep)[1] == 3000  # 1,500 opening and 1,500 closing tags dropped
    wide = "<div><p>x</p></div>" * 2000
    assert limit_depth(wide) == (wide, 0) == scanned(wide, 1000)


@given(st.lists(st.sampled_from([*_PIECES, "é", "日本", "\U0001f600"]), max_size=80).map("".join),
       st.integers(1, 6))
def test_utf8_bytes_give_the_same_result(html: str, max_depth: int) -> None:
    text, dropped = limit_depth(html, max_depth, scan_from=0)
    assert limit_depth(html.encode(), max_depth, scan_from=0) == (text.encode(), dropped)
