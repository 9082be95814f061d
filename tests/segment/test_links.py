"""Link targets: which hrefs are a social profile, a share dialog or an ad network, and the
kind the HTML walk records per block."""

from __future__ import annotations

import pytest

from curation.segment.html import html_block_columns
from curation.segment.links import AD, FOLLOW, SHARE, block_link_kind, href_kind


@pytest.mark.parametrize("href, kind", [
    ("https://twitter.com/SmithsonianMag", FOLLOW),
    ("//www.facebook.com/RTvids/", FOLLOW),
    ("https://www.linkedin.com/company/my6sense-technologies-ltd", FOLLOW),
    ("https://www.youtube.com/c/appleinsider?sub_confirmation=1", FOLLOW),
    ("https://www.instagram.com/natgeo/", FOLLOW),
    ("https://www.facebook.com/sharer/sharer.php?u=https%3A%2F%2Fexample.com%2Fstory", SHARE),
    ("https://twitter.com/intent/tweet?text=Story&url=https%3A%2F%2Fexample.com", SHARE),
    ("http://www.linkedin.com/shareArticle?mini=true&url=https%3A%2F%2Fexample.com", SHARE),
    ("https://pinterest.com/pin/create/button/?url=x", SHARE),
    ("mailto:?subject=Story&body=https%3A%2F%2Fexample.com", SHARE),
    ("https://www.shareasale.com/u.cfm?d=573511&m=45652", AD),  # not a share dialog
    ("https://amzn.to/2qsIAU3", AD),
    ("https://www.amazon.com/gp/product/B002KHN602/?tag=site-20", AD),
    ("https://go.redirectingat.com/?id=1&url=x", AD),
    # none of these: a post, a video, a network's front page, an address, the site itself
    ("https://twitter.com/GoogleStadia/status/1196473158192095232", None),
    ("https://www.youtube.com/watch?v=3qQJTUYKmYU", None),
    ("https://www.reddit.com/r/chicago/comments/c5xjqs/lyft/", None),
    ("https://twitter.com/", None),
    ("mailto:editorial@example.com", None),
    ("https://www.amazon.com/gp/product/B002KHN602/", None),
    ("/author/jane-doe/", None),
    ("#comments", None),
    ("", None),
])
def test_href_kind(href: str, kind: str | None) -> None:
    assert href_kind(href) == kind


def test_block_kind_is_the_most_links_and_counts_an_address_once() -> None:
    fb, tw = "https://www.facebook.com/site", "https://twitter.com/site"
    share = "https://www.facebook.com/sharer.php?u=x"
    assert block_link_kind([fb, tw, share]) == FOLLOW
    assert block_link_kind([fb, fb, share]) == SHARE  # a tie after the repeat: share first
    assert block_link_kind(["/news/", "https://example.com/"]) is None
    assert block_link_kind([]) is None


def _kinds(body: str) -> dict[str, str | None]:
    c = html_block_columns(f"<html><body>{body}</body></html>")
    return dict(zip(c.text, c.link_kind, strict=True))


def test_walk_records_the_kind_of_each_blocks_links() -> None:
    kinds = _kinds(
        "<p>Budget approved after a long debate, <a href='/budget'>details</a>.</p>"
        "<div class='social'><a href='https://www.facebook.com/site'><i class='fa'></i>"
        "Facebook</a> <a href='https://twitter.com/site'>Twitter</a></div>"
        "<ul><li><a href='https://twitter.com/intent/tweet?url=x'>Tweet</a></li></ul>"
        # a card: the title block sits inside the link
        "<a href='https://amzn.to/x'><div>Deal of the day</div></a>"
        "<div><a href='https://twitter.com/site'></a></div><p>Plain line</p>")
    assert kinds == {
        "Budget approved after a long debate, details.": None,
        "Facebook Twitter": FOLLOW,
        "Tweet": SHARE,
        "Deal of the day": AD,
        # a link without text ends with its block: it does not mark the next one
        "Plain line": None,
    }


def test_a_link_around_an_icon_block_marks_the_block_that_holds_its_text() -> None:
    # <a><div><img></div>&nbsp;Instagram</a>: the link's text comes after its inner block
    icon = ("<li><a href='https://instagram.com/site'><div class='icon'><img src=i.png></div>"
            "\u00a0Instagram</a></li>")
    assert _kinds(f"<ul>{icon}</ul>") == {"Instagram": FOLLOW}
