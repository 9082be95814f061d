"""curation.words: a word is a run of word characters, or one Chinese or Japanese character."""

from __future__ import annotations

import random
import re

import pyarrow as pa

from curation.label.features import word_runs
from curation.words import is_unspaced_word_char, words

# scripts with and without spaces, marks that are not word characters (the Katakana middle dot,
# the ideographic full stop), digits in CJK text, 4-byte Han (U+20000 block), emoji
_ALPHABET = list("ab 09,.\t中文日本語ひらカタ・。ー々한국ไทยé\u0301𠀋😀")


def _by_character(text: str) -> list[str]:
    """The reference: walk the characters, cut before and after each unspaced word character."""
    out: list[str] = []
    run = ""
    for ch in text:
        if is_unspaced_word_char(ch):
            out += [run, ch] if run else [ch]
            run = ""
        elif re.match(r"\w", ch):
            run += ch
        elif run:
            out.append(run)
            run = ""
    return out + [run] if run else out


def test_words_equal_the_character_walk_on_generated_text() -> None:
    rng = random.Random(11)
    texts = ["".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 40)))
             for _ in range(3000)]
    for text in texts:
        assert words(text) == _by_character(text), text


def test_words_agree_with_the_rules_word_counts() -> None:
    """Dedup shingles and the rules' length thresholds count the same words."""
    rng = random.Random(12)
    texts = ["".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 40)))
             for _ in range(500)]
    assert [len(words(t)) for t in texts] == word_runs(pa.array(texts, pa.string())).tolist()


def test_text_without_chinese_or_japanese_is_split_into_runs() -> None:
    assert words("Don't stop — 2024, İstanbul!") == ["Don", "t", "stop", "2024", "İstanbul"]
    assert words("東京・大阪") == ["東", "京", "大", "阪"]
    assert words("") == []
