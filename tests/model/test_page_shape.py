"""Within-page structure features (the main run of article text, headings, parent link
density, same-shape siblings, images), computed by the featurizer over a batch of two small
pages whose answers are known: each page's features are its own."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from curation.model import page_shape
from curation.model.features import DENSE_NAMES, FeatureConfig, featurize
from curation.schema import SEGMENT_SCHEMA


def _page(pid: str, rows: list[tuple[str, str, int, str, float, bool]]) -> list[dict[str, Any]]:
    """Rows of (tag path, pre-label, words, text prefix, link density, after an image)."""
    return [{"segment_id": f"{pid}:{i}", "page_id": pid, "position": i,
             "text": " ".join([word] * words), "tag_path": tag, "prelabel": pre,
             "link_density": ld, "after_image": img, "in_main": False,
             "url": f"https://{pid}.example/story", "domain": f"{pid}.example", "votes": []}
            for i, (tag, pre, words, word, ld, img) in enumerate(rows)]


# a menu, a story with a heading, a caption and a sub-head, a menu again; then a second page
A = _page("a", [
    ("body>ul>li", "other", 2, "home", 1.0, False),  # 0
    ("body>ul>li", "other", 2, "news", 1.0, False),  # 1
    ("body>div>h2", "article", 6, "title", 0.0, False),  # 2
    ("body>div>p", "article", 40, "lorem", 0.0, False),  # 3
    ("body>div>p", "article", 45, "ipsum", 0.25, False),  # 4
    ("body>div>figure>figcaption", "caption", 5, "photo", 0.0, True),  # 5
    ("body>div>h3", "article", 4, "sub", 0.0, False),  # 6
    ("body>div>p", "article", 60, "dolor", 0.0, False),  # 7
    ("body>footer>a", "other", 3, "about", 1.0, False),  # 8
    ("body>footer>a", "other", 2, "contact", 1.0, True),  # 9
])
B = _page("b", [
    ("body>div>p", "article", 30, "first", 0.0, False),
    ("body>div>h2", "other", 3, "more", 0.0, False),
    ("body>div>p", "other", 2, "x", 0.0, False),
])


def _dense(pages: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    table = pa.Table.from_pylist(pages, schema=SEGMENT_SCHEMA)
    x = featurize(table, FeatureConfig(), [])
    first = x.shape[1] - len(DENSE_NAMES)
    dense = np.asarray(x[:, first:].todense())
    return {name: dense[:, k] for k, name in enumerate(DENSE_NAMES)}


def test_main_run_spans_the_story_and_bridges_the_caption_but_not_the_menus() -> None:
    d = _dense(A + B)
    assert d["run_inside"][:10].tolist() == [0, 0, 1, 1, 1, 1, 1, 1, 0, 0]
    assert (d["run_before_dist"][:2] > d["run_before_dist"][1]).tolist() == [True, False]
    assert d["run_after_dist"][9] > d["run_after_dist"][8] > 0
    # page b: its first paragraph is its own main run, whatever page a holds
    assert d["run_inside"][10:].tolist() == [1, 0, 0]


def test_heading_before_a_row_is_the_nearest_on_its_page_only() -> None:
    d = _dense(A + B)
    level = np.rint(d["heading_level_before"] * 6).astype(int).tolist()
    assert level[:10] == [0, 0, 0, 2, 2, 2, 2, 3, 3, 3]
    assert level[10:] == [0, 0, 2]  # page a's last h3 does not reach into page b


def test_parent_link_density_weights_the_run_of_siblings_by_characters() -> None:
    d = _dense(A + B)
    pld = d["parent_link_density"]
    assert pld[0] == pld[1] == 1.0  # the menu's items
    # the h2 and the two paragraphs are one run of body>div's children; the figcaption ends it
    chars = [len(" ".join([w] * n)) for w, n in (("title", 6), ("lorem", 40), ("ipsum", 45))]
    assert np.isclose(pld[3], 0.25 * chars[2] / sum(chars)) and pld[2] == pld[3] == pld[4]
    assert pld[5] == 0.0  # the figcaption has a parent of its own
    assert pld[10] == 0.0  # page b's first row starts a run of its own


def test_same_shape_siblings_counts_within_one_run_of_one_parent() -> None:
    d = _dense(A + B)
    same = np.rint(np.expm1(d["same_shape_siblings"] * np.log1p(1000))).astype(int) + 1
    assert same[:2].tolist() == [2, 2]  # two menu items of two words
    assert same[3:5].tolist() == [2, 2]  # two paragraphs of one word bin (30-49)
    assert same[8:10].tolist() == [1, 1]  # footer links of 3 and 2 words: other bins
    assert same[10] == 1  # page b's paragraph: its run is its page's


def test_images_before_and_after_a_row() -> None:
    d = _dense(A)
    assert d["image_before"].tolist() == [0, 0, 0, 0, 0, 1, 0, 0, 0, 1]
    assert d["image_after"].tolist() == [0, 0, 0, 0, 1, 0, 0, 0, 1, 0]


def test_main_run_and_tag_helpers() -> None:
    words = np.array([2.0, 2, 40, 50, 5, 60, 3, 2, 2, 4.0])
    art = np.array([False, False, True, True, False, True, False, False, False, True])
    assert page_shape.main_run(words, art) == (2, 5)
    assert page_shape.main_run(np.array([3.0, 4.0]), np.array([False, False])) is None
    assert page_shape.last_tag("body>div>p") == "p" and page_shape.last_tag("") == ""
    assert page_shape.parent_path("body>div>p") == "body>div" and page_shape.parent_path("p") == ""
