"""Hashed char n-grams of texts, as scikit-learn's `HashingVectorizer(analyzer="char_wb",
alternate_sign=False, norm="l2")` makes them, computed once per distinct text and once per
word per process: the featurizer's char block (model/features.py)."""

from __future__ import annotations

from itertools import chain

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from curation.model.arrays import Ints
from curation.model.coded import factorize
from curation.model.hashing import string_columns


def word_ngrams(word: str, lo: int, hi: int) -> list[str]:
    """The char_wb n-grams (*lo*..*hi* chars) of one word, as scikit-learn's analyzer makes
    them: the word padded with a space each side; a padded word no longer than n is one
    n-gram, and the longer n are not taken."""
    w = f" {word} "
    grams: list[str] = []
    for n in range(lo, hi + 1):
        if len(w) <= n:
            grams.append(w)
            break
        grams.extend([w[i : i + n] for i in range(len(w) - n + 1)])
    return grams


# per (n-gram sizes, hash space): word -> the columns of its char n-grams (int32 bytes)
_WORD_COLUMNS: dict[tuple[int, int, int], dict[str, bytes]] = {}
MAX_WORDS_KNOWN = 200_000  # ~30 MB at most; a run's pages share most of their words


def _word_columns(words: list[str], lo: int, hi: int, n_features: int) -> dict[str, bytes]:
    """The remembered n-gram columns of words, *words* among them (found and hashed now when
    new to this process)."""
    known = _WORD_COLUMNS.setdefault((lo, hi, n_features), {})
    new = [w for w in words if w not in known]
    if not new:
        return known
    if len(known) + len(new) > MAX_WORDS_KNOWN:
        known.clear()
        new = list(dict.fromkeys(words))
    grams, sizes = words_ngrams(new, lo, hi)
    cols = string_columns(grams, n_features)
    ends = np.cumsum(sizes).tolist()
    for w, a, b in zip(new, [0, *ends[:-1]], ends, strict=True):
        known[w] = cols[a:b].tobytes()
    return known


def words_ngrams(words: list[str], lo: int, hi: int) -> tuple[list[str], Ints]:
    """`word_ngrams` of each of *words*, one word's after another, and how many each has.
    Made one n at a time over all the words (a comprehension per n, not three per word: half
    the time for the ~80,000 new words of a process's first batch), then put in word order."""
    padded = [f" {w} " for w in words]
    lens = np.fromiter(map(len, padded), dtype=np.int64, count=len(padded))
    parts: list[list[str]] = []
    owners: list[Ints] = []
    for n in range(lo, hi + 1):
        parts.append([w[i : i + n] for w in padded if len(w) > n for i in range(len(w) - n + 1)])
        owners.append(np.repeat(np.arange(len(padded)), np.where(lens > n, lens - n + 1, 0)))
    whole = lens <= hi  # a padded word no longer than the largest n is an n-gram itself, last
    parts.append([w for w, short in zip(padded, whole.tolist(), strict=True) if short])
    owners.append(np.flatnonzero(whole))
    grams = list(chain.from_iterable(parts))
    owner = np.concatenate(owners) if owners else np.zeros(0, dtype=np.int64)
    order = np.argsort(owner, kind="stable")  # each word's n-grams together, n by n
    return list(map(grams.__getitem__, order.tolist())), np.bincount(owner, minlength=len(words))


def text_rows(norms: list[str], norm_code: Ints, n: int, lo: int, hi: int, max_chars: int,
              n_features: int) -> tuple[sp.csr_matrix, Ints | None]:
    """The char n-gram rows of the distinct texts *norms* (row i of *n* holds
    `norms[norm_code[i]]`) and each row's among them (None: one each): hashed char n-grams
    (*lo*..*hi* chars) of each text's first *max_chars*, l2-normalised rows, what
    `HashingVectorizer(analyzer="char_wb", alternate_sign=False, norm="l2")` gives. A row
    depends on its text alone and its n-grams are those of its words, so each distinct text
    is counted once (boilerplate repeats: 23,445 distinct of 39,472 segments in 200 real pages)
    and each word's n-grams are found and hashed once per process (`_word_columns`: 51,193
    words for 7 million n-grams there); the texts' columns are gathered from their words'."""
    doc_of_norm, first = factorize([t[:max_chars] for t in norms])
    which = doc_of_norm[norm_code] if len(first) else norm_code
    # scikit-learn's char_wb analyzer first folds runs of whitespace (`\s\s+`) to a space;
    # str.split() splits on the same characters (str.isspace, every code point), so the words
    # are the same without it
    doc_words = [d.lower().split() for d in first]
    ids, words = factorize(list(chain.from_iterable(doc_words)))
    known = _word_columns(words, lo, hi, n_features)
    word_bytes = list(map(known.__getitem__, words))
    word_cols = np.frombuffer(b"".join(word_bytes), dtype=np.int32)
    word_len = np.fromiter(map(len, word_bytes), dtype=np.int64, count=len(word_bytes)) // 4
    word_start = np.cumsum(word_len) - word_len
    # each text's n-gram columns: its words' runs of word_cols, one after another
    lengths = word_len[ids]
    offsets = np.cumsum(lengths) - lengths
    cols = word_cols[np.repeat(word_start[ids] - offsets, lengths) + np.arange(lengths.sum())]
    words_before = np.zeros(len(doc_words) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, doc_words), dtype=np.int64, count=len(doc_words)),
              out=words_before[1:])
    grams_before = np.concatenate([[0], np.cumsum(lengths)])
    counts = sp.csr_matrix((np.ones(len(cols)), cols, grams_before[words_before]),
                           shape=(len(doc_words), n_features), dtype=np.float64)
    counts.sum_duplicates()  # as FeatureHasher: repeated columns summed, indices sorted
    distinct = sp.csr_matrix(normalize(counts, norm="l2", copy=False))
    return distinct, None if len(first) == n else which
