"""langdetect's Detector with its per-character and per-language loops tightened, giving the
same results, over its profiles held as one array.

Detection was ~5 ms a page: half in turning the text into n-grams (every character through
`NGram.normalize`, a Unicode block lookup, and `NGram.add_char`), half in the random trials,
each a Python loop over the 55 languages per drawn n-gram. Here each character's normal form
is cached and the n-gram state kept in locals, and a trial multiplies numpy rows: the same
random draws in the same order and the same float operations element by element (a product,
a quotient; the normalising sum is Python's own `sum` over the same list), so the
probabilities are identical (tested against the plain Detector).

The profiles: langdetect builds a dict of ~88k n-grams, each a list of 55 Python floats (0.21
CPU-s, ~50 MB); `load_profiles` reads the same JSON files into one float64 array with a row per
n-gram (the same quotients, computed in numpy).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from langdetect.detector import Detector
from langdetect.lang_detect_exception import ErrorCode, LangDetectException
from langdetect.utils.ngram import NGram

_SPACES = re.compile(" {2,}")
# character -> NGram.normalize(character) (a pure function), as a str.translate table
_normal: dict[int, str] = {}
_seen: set[str] = set()


@dataclass(frozen=True)
class Profiles:
    """langdetect's profiles in the shape a Detector reads from its factory (`langlist`,
    `word_lang_prob_map`, `seed`), except that the map gives each n-gram's row of `probs`."""

    langlist: list[str]
    word_lang_prob_map: dict[str, int]
    probs: npt.NDArray[np.float64]  # n-grams x languages: langdetect's lists as rows
    seed: None = None


def load_profiles(directory: str) -> Profiles:
    """The profiles in *directory* as langdetect's DetectorFactory.load_profile reads them:
    languages in directory-listing order, each n-gram's probability per language its count over
    the language's number of n-grams of that length (0.0 for n-grams not 1-3 long)."""
    names = os.listdir(directory)  # langdetect's order and width (len, dot files included)
    if not names:
        raise LangDetectException(ErrorCode.NeedLoadProfileError,
                                  f"Not found profile: {directory}")
    profiles: list[tuple[str, dict[str, int | float], npt.NDArray[np.float64]]] = []
    for name in names:
        path = os.path.join(directory, name)
        if name.startswith(".") or not os.path.isfile(path):
            continue
        try:
            with open(path, encoding="utf-8") as fh:
                data = json.load(fh)
            profiles.append((str(data["name"]), dict(data["freq"]),
                             np.asarray(data["n_words"], dtype=np.float64)))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise LangDetectException(ErrorCode.FormatError,
                                      f'Profile format error in "{path}"') from exc
    langlist = [lang for lang, _, _ in profiles]
    if len(set(langlist)) < len(langlist):
        raise LangDetectException(ErrorCode.DuplicateLangError,
                                  "Duplicate the same language profile.")
    # every n-gram of every profile, numbered in order of first appearance (C-level loops: the
    # per-n-gram work is what langdetect's own loading spends its time on)
    grams = dict.fromkeys(chain.from_iterable(freq for _, freq, _ in profiles))
    index = dict(zip(grams, range(len(grams)), strict=True))
    probs = np.zeros((len(index), len(names)))
    for col, (_, freq, n_words) in enumerate(profiles):
        n = len(freq)
        rows = np.fromiter(map(index.__getitem__, freq), np.intp, n)
        lengths = np.fromiter(map(len, freq), np.intp, n)
        counts = np.fromiter(freq.values(), np.float64, n)
        sized = (lengths >= 1) & (lengths <= 3)
        if sized.any() and lengths[sized].max() > len(n_words):
            raise LangDetectException(ErrorCode.FormatError, f"Profile format error: {col}")
        probs[rows[sized], col] = counts[sized] / n_words[lengths[sized] - 1]
    return Profiles(langlist, index, probs)


_CACHE_FORMAT = 1  # bump when the cached files' layout changes


def cached_profiles(directory: str, cache_dir: Path | None) -> Profiles:
    """`load_profiles(directory)`, kept under *cache_dir*: the array as an .npy read memory-mapped
    (a run reads only the rows it draws; forked workers share the pages) and the n-grams and
    languages as JSON. The file names hold a hash of the profile files' names, order, sizes and
    mtimes, so a new langdetect makes new ones. Without a usable cache: loaded in memory."""
    if cache_dir is None:
        return load_profiles(directory)
    listing = [(n, *_size_mtime(os.path.join(directory, n))) for n in os.listdir(directory)]
    key = hashlib.sha256(json.dumps([_CACHE_FORMAT, directory, listing]).encode()).hexdigest()
    npy, meta = (cache_dir / f"langdetect-{key[:20]}{ext}" for ext in (".npy", ".json"))
    try:
        kept = json.loads(meta.read_text(encoding="utf-8"))
        grams, langs = kept["ngrams"], kept["langs"]
        probs = np.load(npy, mmap_mode="r")
        if probs.dtype == np.float64 and probs.shape == (len(grams), kept["width"]):
            return Profiles(langs, dict(zip(grams, range(len(grams)), strict=True)), probs)
    except (OSError, ValueError, KeyError, TypeError):
        pass  # not there yet, or damaged: built again below
    profiles = load_profiles(directory)
    with contextlib.suppress(OSError):  # a read-only home: the run goes on without a cache
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = f".tmp-{os.getpid()}"
        with open(npy.with_name(npy.name + tmp), "wb") as fh:
            np.save(fh, profiles.probs)
        os.replace(npy.with_name(npy.name + tmp), npy)
        meta.with_name(meta.name + tmp).write_text(json.dumps(
            {"ngrams": list(profiles.word_lang_prob_map), "langs": profiles.langlist,
             "width": profiles.probs.shape[1]}, ensure_ascii=False), encoding="utf-8")
        os.replace(meta.with_name(meta.name + tmp), meta)  # last: the pair is complete
    return profiles


def _size_mtime(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns


class FastDetector(Detector):  # type: ignore[misc]  # langdetect has no type hints
    """Drop-in for `langdetect.detector.Detector`, created from `Profiles`."""

    text: str  # the text appended so far (langdetect's attribute)

    def __init__(self, profiles: Profiles) -> None:
        super().__init__(profiles)
        self.probs = profiles.probs

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
        grams: list[str] = self._per_word(0)
        return grams

    def _ngram_rows(self) -> list[int]:
        """The profile row of each of _extract_ngrams' n-grams (what a trial draws from)."""
        rows: list[int] = self._per_word(1)
        return rows

    def _per_word(self, part: int) -> list[Any]:
        """The words' n-grams (*part* 0) or their profile rows (1), from the per-word cache."""
        text = self.text
        table = _normal
        for ch in set(text).difference(_seen):
            table[ord(ch)] = NGram.normalize(ch)
            _seen.add(ch)
        words = text.translate(table).split(" ")
        known = self.word_lang_prob_map
        cache = _words_for(known)
        result: list[Any] = []
        last = len(words) - 1
        for i, word in enumerate(words):
            if word:
                key = (word, i < last)
                entry = cache.get(key)
                if entry is None:
                    grams = _word_ngrams(word, i < last, known)
                    entry = cache[key] = (grams, [known[g] for g in grams])
                result += entry[part]
        return result

    def cleaning_text(self) -> None:
        """langdetect's cleaning_text with C-level counts: when letters A-z are under half the
        characters from U+0300 up (langdetect compares a block number with a block name there,
        so every such character counts), the A-z characters are removed."""
        text = self.text
        latin = len(text) - len(text.translate(_DROP_A_TO_Z))
        if latin * 2 < len(_FROM_U0300.findall(text)):
            self.text = text.translate(_DROP_A_TO_Z)

    def _detect_block(self) -> None:
        """langdetect's trials over the text's n-grams. Each trial multiplies the probabilities
        by a drawn n-gram's row plus the trial's weight and normalises after draws 0, 5, 10 ...:
        here the draws between two normalisations are one gather of their rows from the
        profiles, one addition and one product down the rows, which multiplies in langdetect's
        order, so every float is the same."""
        self.cleaning_text()
        drawn = self._ngram_rows()
        if not drawn:
            raise LangDetectException(ErrorCode.CantDetectError, "No features in text.")
        probs = np.asarray(self.probs)  # a plain array over the memory-mapped file
        n_langs = len(self.langlist)
        trials = self.n_trial
        langprob = np.zeros(n_langs)
        rnd = self.random
        rnd.seed(self.seed)
        getrandbits, n, bits = rnd.getrandbits, len(drawn), len(drawn).bit_length()
        prior = self.prior_map
        limit, threshold = self.ITERATION_LIMIT, self.CONV_THRESHOLD
        # row 0: the running product; rows 1-5: the drawn rows plus the trial's weight
        work = np.empty((6, n_langs))
        for _ in range(trials):
            prob = (np.array(prior, dtype=np.float64) if prior is not None
                    else np.full(n_langs, 1.0 / n_langs))
            alpha = self.alpha + rnd.gauss(0.0, 1.0) * self.ALPHA_WIDTH
            weight = alpha / self.BASE_FREQ
            i, block = 0, 1  # draw 0 alone, then blocks of five up to the next check
            while True:
                picks = []
                for _ in range(block):
                    # random.choice(ngrams) as Python 3.11 draws it: _randbelow_with_getrandbits
                    r = getrandbits(bits)
                    while r >= n:
                        r = getrandbits(bits)
                    picks.append(drawn[r])
                work[0] = prob
                rows = work[1:block + 1]
                probs.take(picks, axis=0, out=rows)
                rows += weight
                prob = np.multiply.reduce(work[:block + 1], axis=0)
                i += block
                values = prob.tolist()
                total = sum(values)  # Python's sum, as langdetect sums its list
                prob /= total
                # the largest quotient is the largest value's (division by total is monotone)
                if max(values) / total > threshold or i > limit:
                    break
                block = 5
            langprob += prob / trials
        self.langprob = langprob.tolist()


# characters A-z (langdetect's `'A' <= ch <= 'z'`: letters and [\\]^_`) deleted by translate
_DROP_A_TO_Z = dict.fromkeys(range(ord("A"), ord("z") + 1))
_FROM_U0300 = re.compile("[\u0300-\U0010ffff]")


def _word_ngrams(word: str, spaced: bool, known: dict[str, int]) -> list[str]:
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


# (word, followed by a space) -> its n-grams and their profile rows, per loaded profile map;
# emptied past _MAX_WORDS
_words: tuple[dict[str, int], dict[tuple[str, bool], tuple[list[str], list[int]]]] = (
    {}, {})
_MAX_WORDS = 50_000


def _words_for(known: dict[str, int]
               ) -> dict[tuple[str, bool], tuple[list[str], list[int]]]:
    global _words
    if _words[0] is not known or len(_words[1]) > _MAX_WORDS:
        _words = (known, {})
    return _words[1]
