import re

import numpy as np

from curation.model.charstats import char_counts


def _by_regex(t: str) -> tuple[int, int, int, int, int]:
    """The definitions the counts stand for, counted the slow way."""
    letters = re.findall(r"[^\W\d_]", t)
    return (len(re.findall(r"\w+", t)), len(re.findall(r"[^\w\s]", t)),
            sum(map(str.isdigit, t)), len(letters), sum(map(str.isupper, letters)))


def _as_rows(texts: list[str]) -> list[tuple[int, int, int, int, int]]:
    c = char_counts(texts)
    return list(zip(c.words.tolist(), c.punct.tolist(), c.digits.tolist(), c.letters.tolist(),
                    c.upper_letters.tolist(), strict=True))


def test_counts_equal_the_regular_expressions_on_unusual_text() -> None:
    texts = [
        "", " ", "word", "Two words.", "snake_case and 42nd", "x²+y³ = ½ ⅷ Ⅻ", "__init__",
        "ÉCOLE Straße İstanbul ǅemal", "Привет, МИР!", "東京タワー、２０２４年", "ٱلْعَرَبِيَّة ١٢٣",
        "tab\there\nnew line\u00a0nbsp\u2003em", "emoji 🙂👍🏽 ok", "bad \udcff byte kept",
        "trailing word", "leading", "a", "  spaced   out  ", "—dash–en‒fig", "123 456",
    ]
    assert _as_rows(texts) == [_by_regex(t) for t in texts]
    # word runs do not continue from one text into the next
    assert _as_rows(["ab", "cd"])[1][0] == 1 and _as_rows(["ab", "", "cd"])[2][0] == 1


def test_counts_equal_the_regular_expressions_on_random_code_points() -> None:
    rng = np.random.default_rng(0)
    points = np.concatenate([rng.integers(0, 0x3000, 4000), rng.integers(0x3000, 0x2FFFF, 2000),
                             rng.integers(0x20, 0x7F, 4000)])
    chars = [chr(int(c)) for c in points]
    texts = ["".join(chars[i : i + int(k)]) for i, k in zip(range(0, 10_000, 25),
                                                             rng.integers(0, 40, 400), strict=True)]
    assert _as_rows(texts) == [_by_regex(t) for t in texts]
