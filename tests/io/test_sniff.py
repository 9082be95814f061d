"""Ingest's HTML checks without a parse agree with a lexbor parse, page for page."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.io.decode import canonical_url, has_body_text, parse_html
from curation.io.sniff import page_checks

CASES = [
    "<html><head><title>t</title></head><body><p>text</p></body></html>",
    "<html><body><script>var a = '<p>x</p>';</script>\n  </body></html>",
    "<html><body>&nbsp; \n<!-- a comment --></body></html>",
    "<html><body><noscript><p>only in noscript</p></noscript></body></html>",
    "<!-- <body>fake</body> --><html><body> </body></html>",
    "<p>no body tag at all</p>",
    "<HTML><BODY><DIV>Upper case</DIV></BODY></HTML>",
    "<html><head><link rel='canonical' href='https://a.example/x?a=1&amp;b=2'></head>"
    "<body>t</body></html>",
    '<html><head><link rel="alternate canonical" href="/relative">'
    '<meta property="og:url" content="https://og.example/"></head><body>t</body></html>',
    '<html><head><script>var s = \'<link rel="canonical" href="https://no.example/">\';'
    "</script></head><body>t</body></html>",
    '<html><head><!-- <link rel="canonical" href="https://no.example/"> --></head>'
    "<body>t</body></html>",
    "<html><head><title>only a title</title></head><body><template>t</template></body></html>",
]


def parsed(html: str) -> tuple[bool, str | None]:
    tree = parse_html(html)
    return has_body_text(tree), canonical_url(tree)


@pytest.mark.parametrize("html", CASES)
def test_crafted_pages(html: str) -> None:
    assert page_checks(html) == parsed(html)


_PIECES = st.sampled_from([
    "<p>", "</p>", "<div class='x'>", "</div>", "<script>", "</script>", "<style>", "</style>",
    "<noscript>", "</noscript>", "<!--", "-->", "<body>", "</body>", "<head>", "</head>",
    "<title>", "</title>", " ", "\n", "&nbsp;", "word", "<br/>", "<!DOCTYPE html>",
    '<link rel="canonical" href="https://c.example/">', '<meta property="og:url" '
    'content="https://o.example/">', "<template>", "</template>", "<a href='/'>", "</a>",
])


@settings(max_examples=3000, deadline=None)
@given(st.lists(_PIECES, max_size=30).map("".join))
def test_random_tag_soup(html: str) -> None:
    assert page_checks(html) == parsed(html)


@pytest.mark.shared_data
def test_gold_pages(shared_data: Path) -> None:
    with gzip.open(shared_data / "gold-dev.jsonl.gz", "rt", encoding="utf-8") as fh:
        htmls = [rec["html"] for rec in map(json.loads, fh) if isinstance(rec.get("html"), str)]
    assert len(htmls) > 300
    assert [page_checks(h) for h in htmls] == [parsed(h) for h in htmls]


_RAW_PIECES = st.sampled_from([
    "<script>", "</script>", "<SCRIPT>", "</SCRIPT>", "<Script>", "</Script>", "<noscript>",
    "</NOSCRIPT>", "<style>", "</style>", "<title>", "</TITLE>", "<textarea>", "</textarea>",
    "<xmp>", "<iframe>", "</iframe>", "<noembed>", "<noframes>", "</noframes>", "<scripts>",
    "<titlebar>", "<!--", "-->", "<", "/", "x", " ",
])


@settings(max_examples=2000, deadline=None)
@given(st.lists(_RAW_PIECES, max_size=25).map("".join), st.integers(0, 200))
def test_one_scan_says_what_each_rfind_says(html: str, at: int) -> None:
    from curation.io.sniff import _WATCHED, _inside, _open_elements

    at = min(at, len(html))
    assert _open_elements(html, at) == {
        tag for tag in _WATCHED if _inside(html, at, f"<{tag}", f"</{tag}")}
