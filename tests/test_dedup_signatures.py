"""A page's signature text: its article segments when they hold enough words, else all its
segments (joined in Arrow per run of a page's segments)."""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa

from curation.dedup import MIN_ARTICLE_WORDS, NUM_PERM, page_signature, signatures
from curation.schema import SEGMENT_SCHEMA


def _expected(rows: list[dict[str, object]]) -> list[tuple[str, list[int]]]:
    """The rule written out page by page in plain Python."""
    out: list[tuple[str, list[int]]] = []
    start = 0
    for i in range(1, len(rows) + 1):
        if i == len(rows) or rows[i]["page_id"] != rows[start]["page_id"]:
            page = rows[start:i]
            texts = [str(r["text"] or "") for r in page]
            article = "\n".join(t for t, r in zip(texts, page, strict=True)
                                if r["prelabel"] == "article")
            words = len(article.split())  # the texts below are single-spaced words
            used = article if words >= MIN_ARTICLE_WORDS else "\n".join(texts)
            out.append((str(page[0]["page_id"]), page_signature(used).tolist()))
            start = i
    return out


def test_signatures_follow_article_text_or_all_text_per_page() -> None:
    rng = random.Random(5)
    vocab = [f"w{i}" for i in range(300)] + ["café", "naïve", "日本"]
    rows: list[dict[str, object]] = []
    # pages: long article, short article, no article, a page that comes back after another
    for page, (n_segments, label_of) in enumerate([
            (30, lambda i: "article" if i % 2 else "other"),
            (6, lambda i: "article" if i == 0 else "teaser"),
            (5, lambda i: None if i == 3 else "other"),
            (1, lambda i: "article"),
            (40, lambda i: "article")]):
        pid = "p-back" if page == 4 else f"p{page}"
        for i in range(n_segments):
            rows.append({"segment_id": f"{pid}:{i}", "page_id": pid, "position": i,
                         "text": " ".join(rng.choice(vocab) for _ in range(rng.randint(1, 12))),
                         "prelabel": label_of(i)})
    rows.insert(len(rows) - 10, {"segment_id": "x:0", "page_id": "x", "position": 0,
                                 "text": "between two runs of one page", "prelabel": "article"})
    table = pa.Table.from_pylist(rows, schema=SEGMENT_SCHEMA)
    got = signatures(table)
    assert list(zip(got["page_id"].to_pylist(), got["minhash"].to_pylist(), strict=True)) \
        == _expected(rows)
    assert got["page_id"].to_pylist()[-3:] == ["p-back", "x", "p-back"]  # runs, in order


def test_signatures_of_no_segments_and_chunked_columns() -> None:
    empty = signatures(pa.Table.from_pylist([], schema=SEGMENT_SCHEMA))
    assert empty.num_rows == 0
    rows = [{"segment_id": f"a:{i}", "page_id": "a", "position": i, "text": f"t {i}",
             "prelabel": "article"} for i in range(4)]
    whole = pa.Table.from_pylist(rows, schema=SEGMENT_SCHEMA)
    chunked = pa.concat_tables([whole.slice(0, 1), whole.slice(1)])
    assert signatures(chunked).equals(signatures(whole))
    assert np.asarray(signatures(whole)["minhash"][0].as_py()).shape == (NUM_PERM,)


def _similarity(a: str, b: str) -> float:
    """The MinHash estimate of the Jaccard similarity of two texts' shingle sets."""
    return float(np.mean(page_signature(a) == page_signature(b)))


def test_chinese_and_japanese_near_copies_are_near_duplicates() -> None:
    """A Japanese sentence is one run of word characters: as runs, a page of 20 sentences has 20
    "words" and 16 shingles, and one edited character in each of five sentences changes most
    of them. Each character is a word (curation.words): shingles are character 5-grams."""
    rng = random.Random(9)
    kana = [chr(c) for c in range(0x3041, 0x3094)] + [chr(c) for c in range(0x4E00, 0x4E80)]
    sentences = ["".join(rng.choice(kana) for _ in range(rng.randint(25, 40))) for _ in range(20)]
    page = "、".join(sentences)
    edited = list(sentences)
    for i in (2, 7, 11, 15, 18):  # one character changed in five sentences
        s = edited[i]
        edited[i] = s[:10] + ("ぁ" if s[10] != "ぁ" else "あ") + s[11:]
    assert _similarity(page, "、".join(edited)) >= 0.8
    other = "、".join("".join(rng.choice(kana) for _ in range(30)) for _ in range(20))
    assert _similarity(page, other) < 0.2
    # the same edits in an English page of as many words: shingles of words, as before
    english = " ".join(f"w{rng.randint(0, 10**6)}" for _ in range(600))
    assert _similarity(english, english.replace(english.split()[300], "changed", 1)) >= 0.8


def test_a_huge_page_is_signed_by_its_start_in_bounded_memory() -> None:
    """Each shingle costs NUM_PERM values in the minimum pass: a 20 MB page of Japanese text
    (a word a character) would take gigabytes. Its first MAX_SIGNATURE_CHARS characters sign
    it."""
    import tracemalloc

    from curation.dedup import MAX_SIGNATURE_CHARS, batch_signatures

    rng = random.Random(4)
    huge = "".join(rng.choice("東京タワーは高さメートルの電波塔です。、ab 12")
                   for _ in range(8 * MAX_SIGNATURE_CHARS))
    tracemalloc.start()
    try:
        sig = batch_signatures([huge])[0]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert np.array_equal(sig, page_signature(huge[:MAX_SIGNATURE_CHARS]))
    assert np.array_equal(sig, page_signature(huge))
    assert peak < 150 * 2**20, f"peak {peak / 2**20:.0f} MB"
