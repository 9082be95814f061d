"""What counts as a word when the rules measure segments (`n_words`, curation/label/features.py)
and when near-duplicate shingles are cut (curation/dedup.py).

A word is a run of word characters (Unicode `\\w`), except in the scripts that put no space
between words: Chinese and Japanese. There a run of word characters is a whole clause or
sentence, and a 200-character paragraph would count as two or three "words" and look like a
menu item to every length threshold. Each Han, Hiragana or Katakana character counts as one
word instead (a Chinese word has 1.5 characters on average, a Japanese one about 2: the
counts come out at the scale of an English text of the same content, a little above it).
Korean puts spaces between words and is counted as runs, like Latin text. Thai, Lao, Khmer
and Myanmar are unspaced too, but their characters are letters of syllables, not words; they
are counted as runs (no segmentation short of a dictionary).

The model's length features keep counting runs (curation/model/charstats.py): the cleaner
learns its scale from gold, where Chinese and Japanese pages are rare, and on those counts a
Japanese page's menus looked like nothing it had seen (site-grouped CV on the taxonomy pages:
its archive links went from other to ad, other F1 on the page 0.85 -> 0.32), while the rules'
votes, which it reads, carry the corrected length."""

from __future__ import annotations

import re

# Han (with extensions and compatibility forms), Hiragana, Katakana (with the phonetic
# extensions and half-width forms), and the iteration mark 々
UNSPACED_WORD = re.compile(
    "[\u3005\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f]"
)
_WORD_CHAR = re.compile(r"\w")
_RUN = re.compile(r"\w+")
# a Chinese or Japanese word character alone, else a run of the other word characters
_TOKEN = re.compile(f"(?=\\w){UNSPACED_WORD.pattern}|(?:(?!{UNSPACED_WORD.pattern})\\w)+")


def is_unspaced_word_char(ch: str) -> bool:
    """True for a word character that is a word by itself (see the module's docstring).

    >>> [is_unspaced_word_char(c) for c in "東あア한a・"]
    [True, True, True, False, False, False]
    """
    return UNSPACED_WORD.match(ch) is not None and _WORD_CHAR.match(ch) is not None


def word_pattern(text: str) -> re.Pattern[str]:
    """The pattern whose matches are the words of *text*: runs of word characters, each Chinese
    or Japanese character a word of its own (the plain run pattern for text without one)."""
    return _RUN if UNSPACED_WORD.search(text) is None else _TOKEN


def words(text: str) -> list[str]:
    """The words of *text* (see word_pattern).

    >>> words("Tokyo 東京タワー, 2024年!")
    ['Tokyo', '東', '京', 'タ', 'ワ', 'ー', '2024', '年']
    """
    return word_pattern(text).findall(text)
