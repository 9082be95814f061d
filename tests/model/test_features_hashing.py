"""The featurizer's hashed blocks are scikit-learn's, computed faster: string features through
remembered columns, char n-grams once per distinct text and word. The matrices must be equal
entry for entry (a packaged model's weights mean these columns), whatever the text."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction import FeatureHasher
from sklearn.feature_extraction.text import HashingVectorizer

from curation.model import chargrams, features, hashing
from curation.model.coded import factorize
from curation.model.features import FeatureConfig

CFG = FeatureConfig()
# words and whitespace a page can hold: short words (a padded word no longer than an n-gram),
# Unicode spaces (no-break, em, the separators str.split knows), case that lower() changes
# (Turkish dotted I lower-cases to two characters), CJK, digits, punctuation
TRICKY = [
    "", " ", "a", "ab", "abc", "a b c", "  two  spaces  ", "tab\there", "nbsp\u00a0word",
    "em\u2003space", "sep\x1cchar", "İstanbul ÇAĞ", "ΣΟΦΙΑ σοφία", "日本語のテキスト",
    "0 00 000 2024-11-29", "Hello, World! (again)", "x" * 250, "word " * 60, "\n\n\n",
]


def _sklearn_chars(texts: list[str], cfg: FeatureConfig = CFG) -> sp.csr_matrix:
    return sp.csr_matrix(HashingVectorizer(
        analyzer="char_wb", ngram_range=(cfg.char_ngram_min, cfg.char_ngram_max),
        n_features=cfg.char_features, alternate_sign=False, norm="l2",
    ).transform([t[: cfg.char_max_chars] for t in texts]))


def _ours_chars(texts: list[str], cfg: FeatureConfig = CFG) -> sp.csr_matrix:
    codes, distinct = factorize(texts)  # as the featurizer's rows: each distinct text numbered
    rows = SimpleNamespace(norms=distinct, norm_code=codes, n=len(texts))
    return features._char_ngrams(rows, cfg)  # type: ignore[arg-type]


def _same(a: sp.csr_matrix, b: sp.csr_matrix) -> None:
    assert a.shape == b.shape
    assert np.array_equal(a.indptr, b.indptr)
    assert np.array_equal(a.indices, b.indices)
    assert np.array_equal(a.data, b.data)  # bit for bit: the same sums in the same order


def test_char_ngrams_are_hashing_vectorizer_s_on_tricky_text() -> None:
    texts = TRICKY + TRICKY[::-1] + [t.upper() for t in TRICKY]  # repeats: copied rows
    _same(_ours_chars(texts), _sklearn_chars(texts))
    _same(_ours_chars(texts), _sklearn_chars(texts))  # again, from remembered words


def test_forgetting_the_remembered_words_changes_nothing(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    monkeypatch.setattr(chargrams, "MAX_WORDS_KNOWN", 3)
    monkeypatch.setattr(hashing, "_MAX_COLUMNS_KNOWN", 10)
    for texts in (TRICKY, ["one two three four five", "six seven"], TRICKY):
        _same(_ours_chars(texts), _sklearn_chars(texts))


def test_other_ngram_sizes_and_spaces() -> None:
    cfg = FeatureConfig(char_ngram_min=1, char_ngram_max=6, char_features=2**10,
                        char_max_chars=30)
    _same(_ours_chars(TRICKY, cfg), _sklearn_chars(TRICKY, cfg))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=40), min_size=1, max_size=12))
def test_char_ngrams_on_any_text(texts: list[str]) -> None:
    _same(_ours_chars(texts), _sklearn_chars(texts))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["pre=ad", "w=3", "lt=div>p", "İ", "", "x=y"]) |
                         st.text(max_size=8), max_size=10), min_size=1, max_size=8))
def test_string_features_are_feature_hasher_s(tokens: list[list[str]]) -> None:
    expected = sp.csr_matrix(FeatureHasher(n_features=2**15, input_type="string",
                                           alternate_sign=False).transform(tokens))
    # each row's features come from two groups, a key a row in each (rows with equal keys
    # share the strings their key makes once)
    rows = hashing.TokenRows(len(tokens))
    rows.add((tuple(t[: len(t) // 2]) for t in tokens), lambda k: k)
    rows.add((tuple(t[len(t) // 2 :]) for t in tokens), lambda k: k)
    _same(rows.matrix(2**15), expected)


def test_every_row_needs_a_key() -> None:
    with pytest.raises(ValueError, match="2 keys for 3 rows"):
        hashing.TokenRows(3).add(["a", "b"], lambda k: (k,))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=12), min_size=1, max_size=30),
       st.sampled_from([2, 7, 2**10, 2**15, 2**20]))
def test_hashed_columns_are_feature_hashers(strings: list[str], n_features: int) -> None:
    # a lone surrogate has no UTF-8 bytes: FeatureHasher raises on it, and so do we
    strings = [s for s in strings if not any(0xD800 <= ord(c) <= 0xDFFF for c in s)]
    hasher = FeatureHasher(n_features=n_features, input_type="string", alternate_sign=False)
    want = [hasher.transform([[s]]).indices.tolist() for s in strings]
    got = hashing.hashed_columns(strings, n_features).tolist()
    assert [[c] for c in got] == want


@settings(max_examples=80, deadline=None)
@given(st.lists(st.text(max_size=12).filter(lambda w: w and not any(c.isspace() for c in w)),
                max_size=20),
       st.integers(1, 4), st.integers(0, 3))
def test_the_words_ngrams_are_each_word_s_in_order(words: list[str], lo: int, more: int) -> None:
    grams, sizes = chargrams.words_ngrams(words, lo, lo + more)
    each = [chargrams.word_ngrams(w, lo, lo + more) for w in words]
    assert sizes.tolist() == [len(g) for g in each]
    assert grams == [g for gs in each for g in gs]
