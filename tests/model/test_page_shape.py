"""Within-page structure features: the main run of article text, headings, parent link
density, same-shape siblings and images, on small pages whose answer is known."""

from __future__ import annotations

import numpy as np

from curation.model import page_shape


def test_main_run_spans_the_story_and_bridges_a_caption_but_not_a_menu():
    words = np.array([2.0, 2, 40, 50, 5, 60, 3, 2, 2, 4.0])
    # menu menu | body body caption body | menu menu menu | a short article line after them
    art = np.array([False, False, True, True, False, True, False, False, False, True])
    assert page_shape.main_run(words, art) == (2, 5)
    where, dist = page_shape.run_relation(10, (2, 5))
    assert where[:3] == ["before", "before", "inside"] and where[6] == "after"
    assert list(dist) == [2, 1, 0, 0, 0, 0, 1, 2, 3, 4]


def test_no_article_means_no_main_run():
    assert page_shape.main_run(np.array([3.0, 4.0]), np.array([False, False])) is None
    where, dist = page_shape.run_relation(2, None)
    assert where == ["none", "none"] and not dist.any()


def test_preceding_heading_level_and_distance():
    level, since = page_shape.preceding_heading(["p", "h2", "p", "p", "h3", "li"])
    assert list(level) == [0, 0, 2, 2, 2, 3]
    assert list(since) == [-1, -1, 1, 2, 3, 1]


def test_parent_link_density_weights_siblings_by_characters():
    parents = ["body>ul", "body>ul", "body>div"]
    ld = np.array([1.0, 0.0, 0.5])
    chars = np.array([30.0, 10.0, 8.0])
    got = page_shape.parent_link_density(parents, ld, chars)
    assert np.allclose(got, [0.75, 0.75, 0.5])


def test_same_shape_siblings_counts_cards_of_one_parent_run_only():
    parents = ["ul", "ul", "ul", "div", "ul"]
    shapes = ["li|3", "li|3", "li|9", "p|3", "li|3"]
    assert list(page_shape.same_shape_siblings(parents, shapes)) == [2, 2, 1, 1, 1]


def test_image_before_and_after():
    before, after = page_shape.image_before_after(np.array([False, True, False]))
    assert list(before) == [0, 1, 0] and list(after) == [1, 0, 0]


def test_tag_helpers():
    assert page_shape.last_tag("body>div>p") == "p" and page_shape.last_tag("") == ""
    assert page_shape.parent_path("body>div>p") == "body>div" and page_shape.parent_path("p") == ""
