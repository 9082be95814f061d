"""langdetect's Detector with its per-character and per-language loops tightened, giving the
same results.

Detection was ~5 ms a page: half in turning the text into n-grams (every character through
`NGram.normalize`, a Unicode block lookup, and `NGram.add_char`), half in the random trials,
each a Python loop over the 55 languages per drawn n-gram. Here each character's normal form
is cached and the n-gram state kept in locals, and a trial multiplies numpy rows: the same
random draws in the same order and the same float operations element by element (a product,
a quotient; the normalising sum is Python's own `sum` over the same list), so the
probabilities are identical (tested against the plain Detector).
"""

from __future__ import annotations

import re

import numpy as np
import numpy.typing as npt
from langdetect.detector import Detector
from langdetect.lang_detect_exception import ErrorCode, LangDetectException
from langdetect.utils.ngram import NGram

_SPACES = re.compile(" {2,}")
# character -> NGram.normalize(character) (a pure function), as a str.translate table
_normal: dict[int, str] = {}
_seen: set[str] = set()


class FastDetector(Detector):  # type: ignore[misc]  # langdetect has no type hints
    """Drop-in for `langdetect.detector.Detector` (created from a loaded DetectorFactory)."""

    def append(self, text: str) -> None:
        text = self.URL_RE.sub(" ", text)
        text = self.MAIL_RE.sub(" ", text)
        text = NGram.normalize_vi(text)
        # langdetect keeps a space only when the character before it (in this call) was not one
        self.text += _SPACES.sub(" ", text[: self.max_text_length])

    def _extract_ngrams(self) -> list[str]:
        """langdetect's n-grams of the text. Its n-gram window starts afresh after every space,
        so the n-grams are those of each space-delimited word (of the normalised text) in
        turn, and a word's depend only on the word and on whether a space follows it: they
        are cached per word (pages repeat their words)."""
        text = self.text
        table = _normal
        for ch in set(text).difference(_seen):
            table[ord(ch)] = NGram.normalize(ch)
            _seen.add(ch)
        words = text.translate(table).split(" ")
        known = self.word_lang_prob_map
        cache = _words_for(known)
        result: list[str] = []
        last = len(words) - 1
        for i, word in enumerate(words):
            if word:
                key = (word, i < last)
                grams = cache.get(key)
                if grams is None:
                    grams = cache[key] = _word_ngrams(word, i < last, known)
                result += grams
        return result

    def _detect_block(self) -> None:
        """langdetect's trials over the text's n-grams, each n-gram's row a numpy array."""
        self.cleaning_text()
        ngrams = self._extract_ngrams()
        if not ngrams:
            raise LangDetectException(ErrorCode.CantDetectError, "No features in text.")
        known = self.word_lang_prob_map
        rows = _rows_for(known)
        n_langs = len(self.langlist)
        trials = self.n_trial
        langprob = np.zeros(n_langs)
        rnd = self.random
        rnd.seed(self.seed)
        for _ in range(trials):
            if self.prior_map is not None:
                prob = np.array(self.prior_map, dtype=np.float64)
            else:
                prob = np.full(n_langs, 1.0 / n_langs)
            alpha = self.alpha + rnd.gauss(0.0, 1.0) * self.ALPHA_WIDTH
            weight = alpha / self.BASE_FREQ
            i = 0
            while True:
                word = rnd.choice(ngrams)
                row = rows.get(word)
                if row is None:
                    row = rows[word] = np.array(known[word], dtype=np.float64)
                prob *= weight + row
                if i % 5 == 0:
                    prob /= sum(prob.tolist())  # Python's sum, as langdetect sums its list
                    if prob.max() > self.CONV_THRESHOLD or i >= self.ITERATION_LIMIT:
                        break
                i += 1
            langprob += prob / trials
        self.langprob = langprob.tolist()


# n-gram -> its probability row as an array, per loaded profile map (a few thousand n-grams
# are drawn again and again); emptied when it grows past _MAX_ROWS
_rows: tuple[dict[str, list[float]], dict[str, npt.NDArray[np.float64]]] = ({}, {})
_MAX_ROWS = 50_000


def _rows_for(known: dict[str, list[float]]) -> dict[str, npt.NDArray[np.float64]]:
    global _rows
    if _rows[0] is not known or len(_rows[1]) > _MAX_ROWS:
        _rows = (known, {})
    return _rows[1]


def _word_ngrams(word: str, spaced: bool, known: dict[str, list[float]]) -> list[str]:
    """The known n-grams langdetect takes from *word* (no spaces in it) after a space, and
    from the space after it when *spaced*: the 1-, 2- and 3-grams ending at each character,
    none ending at a capital that follows a capital (inside an all-caps word)."""
    out: list[str] = []
    grams = " "
    prev = " "
    for c in word:
        grams = (grams[1:] if len(grams) >= 3 else grams) + c
        caps = c.isupper() and prev.isupper()
        prev = c
        if caps:
            continue
        if c in known:
            out.append(c)
        if grams[-2:] in known:
            out.append(grams[-2:])
        if len(grams) >= 3 and grams in known:
            out.append(grams)
    if spaced:
        grams = (grams[1:] if len(grams) >= 3 else grams) + " "
        if grams[-2:] in known:
            out.append(grams[-2:])
        if len(grams) >= 3 and grams in known:
            out.append(grams)
    return out


# (word, followed by a space) -> its n-grams, per loaded profile map; emptied past _MAX_WORDS
_words: tuple[dict[str, list[float]], dict[tuple[str, bool], list[str]]] = ({}, {})
_MAX_WORDS = 50_000


def _words_for(known: dict[str, list[float]]) -> dict[tuple[str, bool], list[str]]:
    global _words
    if _words[0] is not known or len(_words[1]) > _MAX_WORDS:
        _words = (known, {})
    return _words[1]
