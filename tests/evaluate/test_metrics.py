"""Scoring functions on hand-made pages; every expected number is worked out in the comments."""

from __future__ import annotations

import pytest

from curation.evaluate.metrics import (
    COARSE,
    MISSING,
    UNALIGNED,
    Span,
    aggregate,
    prf,
    score_page,
)
from curation.gold.align import align, tokenize


def test_tokenize_unicode_lowercase() -> None:
    assert tokenize("Р уският Президент, 2019 г. — don't") == [
        "р", "уският", "президент", "2019", "г", "don", "t"
    ]
    assert tokenize(" . , — ") == []


def test_prf_empty_sides_score_zero() -> None:
    assert prf(0, 3, 0) == (0.0, 0.0, 0.0)
    assert prf(2, 0, 0) == (0.0, 0.0, 0.0)
    assert prf(4, 2, 2) == (0.5, 1.0, pytest.approx(2 / 3))


def test_token_scores_taxonomy_page() -> None:
    gold = [Span("The cat sat", "article"), Span("Buy now!", "ad")]
    pred = [Span("the cat", "article"), Span("sat. buy now", "ad")]
    s = score_page("p", "taxonomy", gold, pred)
    # article: pred {the,cat} vs gold {the,cat,sat}: P 2/2, R 2/3, F1 0.8
    assert s.token["article"] == pytest.approx((1.0, 2 / 3, 0.8))
    # ad: pred {sat,buy,now} vs gold {buy,now}: P 2/3, R 1, F1 0.8
    assert s.token["ad"] == pytest.approx((2 / 3, 1.0, 0.8))
    # segment 1 is 2 article tokens + 1 ad token -> article; segment 2 -> ad
    assert s.seg == {"article": [1, 0, 0], "ad": [1, 0, 0]}
    assert s.leak == {"ad": [0, 2]}


def test_token_bags_count_multiplicity() -> None:
    gold = [Span("the the the cat", "article")]
    pred = [Span("the cat cat", "article")]
    s = score_page("p", "taxonomy", gold, pred)
    # gold {the:3, cat:1}, pred {the:1, cat:2}, common 2: P 2/3, R 2/4, F1 4/7
    assert s.bags["article"] == (3, 4, 2)
    assert s.token["article"] == pytest.approx((2 / 3, 0.5, 4 / 7))


def test_mean_over_pages_with_the_label_and_pooled_segments() -> None:
    p1 = score_page("p1", "taxonomy", [Span("a b c d", "article")], [Span("a b c d", "article")])
    p2 = score_page(
        "p2", "taxonomy",
        [Span("a b", "article"), Span("x y", "other")],
        [Span("a b x", "article"), Span("y", "ad")],
    )
    out = aggregate([p1, p2], ["article", "ad", "other"])
    labels = out["labels"]
    assert out["pages"] == 2
    # article: page 1 P=R=F1=1; page 2 pred {a,b,x} gold {a,b}: P 2/3 R 1 F1 .8 -> means
    assert labels["article"]["token_p"] == pytest.approx((1 + 2 / 3) / 2, abs=1e-4)
    assert labels["article"]["token_r"] == 1.0
    assert labels["article"]["token_f1"] == pytest.approx(0.9)
    # ad and other occur on page 2 only (prediction only / gold only): one page, F1 0
    assert labels["ad"]["pages"] == 1 and labels["ad"]["token_f1"] == 0.0
    assert labels["other"]["pages"] == 1 and labels["other"]["token_r"] == 0.0
    # segment "x y": x->article, y->ad, a tie that goes to the first label: article.
    # article pooled: tp 2 (both article segments), fp 1 ("x y") -> P 2/3, R 1, F1 .8
    assert labels["article"]["segment_f1"] == pytest.approx(0.8)
    assert labels["other"]["segment_f1"] == 0.0 and labels["other"]["gold_segments"] == 1
    # leak: of the 2 gold `other` tokens, x was labelled article
    assert out["leak"] == {"other": 0.5}
    assert list(labels) == ["article", "ad", "other"]


def test_label_absent_on_both_sides_does_not_enter_mean() -> None:
    p1 = score_page("p1", "taxonomy", [Span("a b", "ad")], [Span("a b", "ad")])
    p2 = score_page("p2", "taxonomy", [Span("c d", "article")], [Span("c d", "article")])
    out = aggregate([p1, p2])
    assert out["labels"]["ad"] == {
        "token_p": 1.0, "token_r": 1.0, "token_f1": 1.0, "segment_f1": 1.0,
        "segment_p": 1.0, "segment_r": 1.0, "pages": 1, "gold_segments": 1,
    }
    assert out["labels"]["article"]["pages"] == 1


def test_main_only_scores_article_only() -> None:
    gold = [Span("a b c", "article"), Span("d e f", "other")]
    pred = [Span("a b", "teaser"), Span("c d", "article"), Span("e f", "comment_ui")]
    s = score_page("p", "main_only", gold, pred)
    # pred article {c, d} (d lies in a not-article block: counts against precision)
    # vs gold {a,b,c}: P 1/2, R 1/3, F1 0.4; no other label is scored
    assert s.token == {"article": pytest.approx((0.5, 1 / 3, 0.4))}
    # segment 1 -> teaser (2 of 3 tokens): article FN; segment 2 -> comment_ui: fine
    assert s.seg == {"article": [0, 0, 1]}
    assert s.leak == {}
    assert s.confusion[(COARSE, "article")] == 1 and s.confusion[(COARSE, "comment_ui")] == 2
    out = aggregate([s])
    assert set(out["labels"]) == {"article"} and out["leak"] == {}


def test_partial_snippets_count_listed_blocks_only() -> None:
    gold = [Span("nav1 nav2", "other"), Span("a b c", "article"), Span("x y", "comment_ui")]
    # "z foot" is in no listed block: ignored; the teaser label is not scored on this page
    pred = [Span("nav1 nav2 a b c x", "article"), Span("y z foot", "teaser")]
    s = score_page("p", "partial_snippets", gold, pred)
    # article: pred {nav1,nav2,a,b,c,x} vs gold {a,b,c}: P 3/6, R 1, F1 2/3
    assert s.token["article"] == pytest.approx((0.5, 1.0, 2 / 3))
    # comment_ui: gold {x,y}, nothing predicted comment_ui -> 0
    assert s.token["comment_ui"] == (0.0, 0.0, 0.0)
    assert set(s.token) == {"article", "comment_ui"}
    # segments: nav -> article (FP), article -> article (TP), "x y" tie -> article (FP)
    assert s.seg == {"article": [1, 2, 0], "comment_ui": [0, 0, 1]}
    assert s.leak == {"comment_ui": [1, 2]}
    assert (UNALIGNED, "teaser") not in s.confusion
    out = aggregate([s])
    assert out["labels"]["article"]["segment_f1"] == pytest.approx(0.5)
    assert out["leak"] == {"comment_ui": 0.5}


def test_missing_block_is_a_false_negative() -> None:
    gold = [Span("head line", "article"), Span("share this", "other")]
    pred = [Span("head line", "article"), Span("extra words", "other")]
    s = score_page("p", "taxonomy", gold, pred)
    assert s.seg["other"] == [0, 0, 1]
    assert s.confusion[("other", MISSING)] == 2
    assert s.confusion[(UNALIGNED, "other")] == 2
    # other: pred {extra, words} vs gold {share, this}: nothing in common
    assert s.token["other"] == (0.0, 0.0, 0.0)
    assert s.errors == [{"gold": "other", "pred": MISSING, "tokens": 2, "text": "share this"}]


def test_no_token_segment_takes_neighbour_or_character_label() -> None:
    gold = [Span("Title one", "teaser"), Span(".", "teaser"), Span("body text", "article")]
    pred = [Span("Title one .", "teaser"), Span("body text", "article")]
    s = score_page("p", "taxonomy", gold, pred)
    assert s.seg == {"teaser": [2, 0, 0], "article": [1, 0, 0]}
    assert "." not in str(s.bags)  # no token from "."
    # with offsets on both sides (a text page) the covering predicted segment decides
    gold = [Span("hello world", "article", 0, 11), Span(".", "teaser", 12, 13),
            Span("more words", "article", 14, 24)]
    pred = [Span("hello world", "article", 0, 11), Span(".", "ad", 12, 13),
            Span("more words", "article", 14, 24)]
    s = score_page("p", "taxonomy", gold, pred)
    assert s.seg == {"article": [2, 0, 0], "teaser": [0, 0, 1], "ad": [0, 1, 0]}
    assert "ad" not in s.token and "teaser" not in s.token


def test_excluded_gold_segments_and_their_tokens_are_ignored() -> None:
    gold = [Span("a b", "article"), Span("c d", "bogus")]
    s = score_page("p", "taxonomy", gold, [Span("a b c d", "article")], excluded=[1])
    assert s.token == {"article": (1.0, 1.0, 1.0)}
    assert s.seg == {"article": [1, 0, 0]}


def test_reordered_blocks_are_aligned() -> None:
    gold = [Span("photo credit reuters", "caption"), Span("main text here now", "article")]
    pred = [Span("main text here now", "article"), Span("photo credit reuters", "caption")]
    s = score_page("p", "taxonomy", gold, pred)
    assert s.seg == {"caption": [1, 0, 0], "article": [1, 0, 0]}
    assert not any(k[1] == MISSING for k in s.confusion)


def test_align_maps_equal_tokens() -> None:
    g = ["a", "b", "c", "d"]
    p = ["x", "a", "b", "y", "d"]
    a = align(g, p)
    assert a == [1, 2, -1, 4]
    assert all(g[i] == p[j] for i, j in enumerate(a) if j >= 0)
