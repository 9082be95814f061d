"""The gold label of our segments: one core (block_target + token overlap), two readings that
differ on purpose (training asks for a majority, rule analysis takes the largest block)."""

from __future__ import annotations

from curation.gold import GoldPage, GoldSegment, block_target, largest_block_targets
from curation.gold import majority_targets as majority
from curation.taxonomy import NOT_ARTICLE


def _page(annotation: str, segs: list[tuple[str, str]], excluded: frozenset[int] = frozenset()
          ) -> GoldPage:
    return GoldPage(page_id="p", annotation=annotation, format="text", content="",
                    segments=tuple(GoldSegment(t, lab) for t, lab in segs), excluded=excluded)


def test_block_target_follows_the_annotation() -> None:
    tax = _page("taxonomy", [("a", "other"), ("b", "ad")])
    main = _page("main_only", [("a", "article"), ("b", "ad")])
    partial = _page("partial_snippets", [("a", "other"), ("b", "comment_ui")], frozenset({1}))
    assert [block_target(tax, i) for i in (0, 1)] == ["other", "ad"]
    assert [block_target(main, i) for i in (0, 1)] == ["article", NOT_ARTICLE]
    assert [block_target(partial, i) for i in (0, 1)] == [NOT_ARTICLE, None]  # 1 is excluded


def test_the_two_readings_differ_where_no_target_holds_half_the_tokens() -> None:
    page = _page("taxonomy", [("one two three", "article"), ("four five", "ad"),
                              ("six seven", "teaser")])
    # 3 article tokens, 2 ad, 2 teaser: no target holds half of the 7
    ours = ["one two three four five six seven", "one two three four five six seven eight"]
    assert majority(page, ours[:1]) == [None]
    targets, sizes = largest_block_targets(page, ours[:1])
    assert targets == ["article"] and sizes == [7]


def test_majority_sums_blocks_with_the_same_target() -> None:
    # on a main_only page "ad" and "other" blocks are both NOT_ARTICLE: together they are 4 of 6
    page = _page("main_only", [("one two", "article"), ("three four", "ad"),
                               ("five six", "other")])
    assert majority(page, ["one two three four five six"]) == [NOT_ARTICLE]
    assert largest_block_targets(page, ["one two three four five six"])[0] == ["article"]


def test_partial_pages_need_half_the_tokens_in_both_readings() -> None:
    page = _page("partial_snippets", [("share this story", "comment_ui")])
    mostly_unlisted = ["share this story and many more unlisted words here"]
    assert majority(page, mostly_unlisted) == [None]
    assert largest_block_targets(page, mostly_unlisted)[0] == [None]
    assert majority(page, ["share this story"]) == ["comment_ui"]
    assert largest_block_targets(page, ["share this story"])[0] == ["comment_ui"]


def test_a_label_outside_the_built_in_set_is_no_analysis_target() -> None:
    page = _page("taxonomy", [("one two", "main")])  # a user's own label in a gold file
    assert majority(page, ["one two"]) == ["main"]
    assert largest_block_targets(page, ["one two"])[0] == [None]
