"""Column-wise features: the fast paths give what the plain RE2 passes give."""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curation.label.features import _WORD, CUE_MAX_WORDS, Frame, build_frame, word_runs
from curation.words import UNSPACED_WORD

# letters, digits and separators of several scripts: accents, combining marks (not \p{L}),
# superscript and Arabic-Indic digits (\p{N}), CJK, emoji (4 bytes), dashes and NBSP
_ALPHABET = list("aZ09 ,.-\t\näßñçé\u0301\u00b2\u0663Жя中文日本\u2014\u00a0\u2019€😀𝔘")


def _re2_counts(strings: pa.Array) -> list[int]:
    """RE2's _WORD matches once every Chinese or Japanese character stands apart (a word by
    itself: curation/words.py)."""
    apart = pa.array([None if t is None else UNSPACED_WORD.sub(r" \g<0> ", t)
                      for t in strings.to_pylist()], pa.string())
    return pc.count_substring_regex(apart, _WORD).fill_null(0).to_pylist()


def test_word_runs_equal_re2_on_generated_text() -> None:
    rng = random.Random(7)
    texts: list[str | None] = [
        "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 30))) for _ in range(3000)
    ]
    texts[5] = None
    texts[6] = ""
    strings = pa.array(texts, pa.string())
    assert word_runs(strings).tolist() == _re2_counts(strings)
    sliced = strings.slice(101, 777)  # an array that starts inside its buffers
    assert word_runs(sliced).tolist() == _re2_counts(sliced)


def test_word_runs_edges() -> None:
    # a run ends at a string's end: the next string's first word is its own run
    strings = pa.array(["ab", "cd", "", None, "é1 x", "—", "😀a😀b"], pa.string())
    assert word_runs(strings).tolist() == [1, 1, 0, 0, 2, 0, 2]
    assert word_runs(pa.array([], pa.string())).dtype == np.int64
    assert word_runs(pa.array(["", None], pa.string())).tolist() == [0, 0]


def test_a_chinese_or_japanese_character_is_a_word_by_itself() -> None:
    """A paragraph of Japanese is one run of word characters between two commas; counted as
    runs it would look like a menu item to every length threshold of the rules."""
    texts = ["東京タワーは高さ333メートルの電波塔です。", "iPhone発売", "ログイン", "中文ab中",
             "한국어 문장입니다", "ทดสอบภาษาไทย"]
    assert word_runs(pa.array(texts, pa.string())).tolist() == [19, 3, 4, 4, 2, 1]


def _frame(lines: list[str]) -> Frame:
    from curation.config import load_config
    from curation.label import rule_set
    from curation.pipeline import segment_with_language

    cfg = load_config("configs/default.yaml")
    page = {"page_id": "t", "format": "text", "content": "\n".join(lines), "lang": "en"}
    _, table = segment_with_language([page], cfg)
    return build_frame(table, rule_set(cfg).cues)


def test_cue_with_a_word_bound_is_the_cue_on_short_segments() -> None:
    long_caption = "Photo: " + " ".join(["word"] * 50)
    lines = ["Photo: Reuters", "Photo by Jane Doe for the paper", long_caption,
             "Advertisement", "nothing to see here", "Related stories"]
    full = _frame(lines)
    n_words = full.n_words
    assert full.cue("caption")[:3].tolist() == [True, True, True]
    for bounds in ([3, 6, 80], [80, 6, 3], [6, 3, 200]):  # cached wider, narrower, recomputed
        f = _frame(lines)
        for bound in bounds:
            for kind in ("caption", "ad", "teaser"):
                expected = full.cue(kind) & (n_words <= min(bound, CUE_MAX_WORDS))
                assert f.cue(kind, max_words=bound).tolist() == expected.tolist()
    assert not _frame(lines).cue("caption", max_words=3)[1]  # 7 words: past the bound


def _attrs_frame(attrs: list[str]) -> Frame:
    n = len(attrs)
    table = pa.table({
        "page_id": ["p"] * n, "text": ["some text"] * n, "tag_path": ["html>body>div"] * n,
        "attrs": attrs, "lang": ["en"] * n, "link_density": [0.0] * n,
        "in_main": [False] * n, "after_image": [False] * n, "link_kind": [None] * n,
    })
    return build_frame(table, {})


def test_whole_token_attrs_match_by_regex_equals_by_token() -> None:
    rng = random.Random(3)
    vocab = ["ad", "ads", "adx", "advert", "advertisement", "x", "share", "sharebar", "nav",
             "a", "b", "header", "subheader", "comment", "comments", "9", ""]
    attrs = [" ".join(rng.choice(vocab[:-1]) for _ in range(rng.randint(0, 60)))
             for _ in range(400)] + ["", "ad", "a b", "x a b y"]
    f = _attrs_frame(attrs)
    for alternatives in (r"ad|ads|advert\w*", r"share\w*|nav", r"(sub)?header", "9|x", "a"):
        by_regex = f.match("attrs", f"(^| )({alternatives})( |$)")  # no space: a regex pass
        by_token = f._token_hits("attrs", alternatives)[f._distinct("attrs")[1]]
        assert by_regex.tolist() == by_token.tolist()
        assert by_regex.any() and not by_regex.all()
    # alternatives that can hold a space go token by token: "a b" is never one token
    assert not f.match("attrs", "(^| )(a b)( |$)").any()
