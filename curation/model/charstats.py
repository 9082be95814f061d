"""Character counts of many texts at once: words, punctuation, digits, letters, upper-case
letters, as the featurizer defines them with regular expressions and `str` methods.

Counting char by char in Python (a `findall` list, `sum(map(str.isdigit, t))`) cost ~150 ns a
character, a third of the featurizer's time on article-heavy pages. Here the texts are one
array of code points and each code point's classes come from a table: the table is filled the
first time a code point is met, by the very expressions and methods that define the counts (so
the counts are the same, character for character), and the counting is numpy's."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

Counts = npt.NDArray[np.int64]

WORD_CHAR = re.compile(r"\w")  # a word is a run of these (the featurizer's \w+)
PUNCT = re.compile(r"[^\w\s]")
LETTER = re.compile(r"[^\W\d_]")

_WORD, _PUNCT, _DIGIT, _LETTER, _UPPER = 1, 2, 4, 8, 16
_CODE_POINTS = 0x110000


def _classes(c: int) -> int:
    ch = chr(c)
    return ((_WORD if WORD_CHAR.match(ch) else 0) | (_PUNCT if PUNCT.match(ch) else 0)
            | (_DIGIT if ch.isdigit() else 0) | (_LETTER if LETTER.match(ch) else 0)
            | (_UPPER if ch.isupper() else 0))


class _Table:
    """Code point -> its class bits, filled as code points are met (a page uses a few hundred
    of the 1.1 million; 2.2 MB for the two arrays, allocated once per process)."""

    def __init__(self) -> None:
        self.bits = np.zeros(_CODE_POINTS, dtype=np.uint8)
        self.known = np.zeros(_CODE_POINTS, dtype=np.bool_)

    def of(self, codes: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint8]:
        new = codes[~self.known[codes]]
        if len(new):
            for c in np.unique(new).tolist():
                self.bits[c] = _classes(c)
            self.known[new] = True
        found: npt.NDArray[np.uint8] = self.bits[codes]
        return found


@lru_cache(maxsize=1)
def _table() -> _Table:
    return _Table()


@dataclass(frozen=True)
class CharCounts:
    """Per text: runs of word characters, punctuation characters ([^\\w\\s]), digits
    (str.isdigit), letters ([^\\W\\d_]) and the upper-case letters among them."""

    words: Counts
    punct: Counts
    digits: Counts
    letters: Counts
    upper_letters: Counts


def char_counts(texts: list[str]) -> CharCounts:
    """The counts of each of *texts*."""
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    ends = np.cumsum(lengths)
    starts = ends - lengths
    # lone surrogates (undecodable bytes kept by a decoder) are code points like any other
    codes = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    bits = _table().of(codes)
    word = (bits & _WORD) != 0
    follows_word = np.zeros(len(codes), dtype=np.bool_)
    follows_word[1:] = word[:-1]
    follows_word[starts[lengths > 0]] = False  # a text's first character starts a run
    letter = (bits & _LETTER) != 0

    def per_text(flags: npt.NDArray[np.bool_]) -> Counts:
        total = np.zeros(len(codes) + 1, dtype=np.int64)
        np.cumsum(flags, out=total[1:])
        counted: Counts = total[ends] - total[starts]
        return counted

    return CharCounts(
        words=per_text(word & ~follows_word), punct=per_text((bits & _PUNCT) != 0),
        digits=per_text((bits & _DIGIT) != 0), letters=per_text(letter),
        upper_letters=per_text(letter & ((bits & _UPPER) != 0)))
