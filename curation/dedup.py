"""Near-duplicate pages: a MinHash of each page's text (word 5-gram shingles, each Chinese or
Japanese character a word: curation.words), then LSH over all pages in input order. Both are
datasketch's ("affine32" MinHash, MinHashLSH banding), computed here with numpy bit for bit
(tested against datasketch): importing datasketch imports scipy, ~0.75 CPU-s of every run's
start-up, for LSH parameters that are fixed here. A cluster is a set of pages linked by similar
pairs; its first page in input order names it. Splits keep every cluster in one split (sites
linked by a shared near-copy are grouped together), so near-copies never land in train and
test both."""

from __future__ import annotations

import zlib
from itertools import islice
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from curation.words import word_pattern, words

# part of the shards' cache key: a change recomputes signatures (v4: Chinese and Japanese
# characters are words, so their shingles are character 5-grams)
DEDUP_VERSION = "minhash-v4"
NUM_PERM = 64
SCHEME = "affine32"  # 32-bit values (stored as uint32); explicit so stored values stay valid
THRESHOLD = 0.8  # estimated Jaccard similarity of the shingle sets
# LSH bands x rows: datasketch.MinHashLSH's optimum for THRESHOLD and NUM_PERM (equal weights)
BANDS, ROWS = 5, 11
SHINGLE_WORDS = 5
MAX_CHUNK_SHINGLES = 16_384  # a chunk's shingles x NUM_PERM uint32: 4 MB, cache-sized
MIN_ARTICLE_WORDS = 50  # a page's article text decides when it has this much, else all its text
# a signature is of the text's first this many characters (~35,000 English words; as many
# Chinese or Japanese ones): each shingle costs NUM_PERM uint32 in the pass that takes the
# minima, so a 20 MB page would need gigabytes
MAX_SIGNATURE_CHARS = 200_000
SIGNATURE_SCHEMA = pa.schema([("page_id", pa.string()), ("minhash", pa.list_(pa.uint32()))])
_MIX = np.uint64(0x9E3779B1)  # odd multiplier that folds a shingle's word hashes into one
_SEED = 1
_EMPTY = np.uint32(0xFFFFFFFF)
# MurmurHash3's 32-bit finalizer, datasketch's pre-mix of each input hash
_FMIX = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35),
         np.uint32(16))


def _affine_permutations() -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32]]:
    """datasketch's affine32 permutations for a seed: h -> a*h + b mod 2^32, a odd."""
    gen = np.random.RandomState(_SEED)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


_PERM_A, _PERM_B = _affine_permutations()


def _word_hashes(words: list[str]) -> npt.NDArray[np.uint64]:
    """Each word's CRC-32 (the same in every process), C calls only: no Python frame a word."""
    return np.fromiter(map(zlib.crc32, map(str.encode, words)), np.uint64, len(words))


def _shingle_hashes(words: list[str]) -> npt.NDArray[np.uint64]:
    """Distinct 32-bit hashes of the word 5-grams of one text (a text of no words: one shingle
    of hash 0)."""
    return _batch_shingles([words])[1]


def _batch_shingles(pages: list[list[str]]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint64]]:
    """The distinct word 5-gram hashes of every page of a batch at once: (the page of each
    hash, the hashes), sorted by page then hash. Each word is hashed once; the five word
    hashes of a shingle are folded together (h * _MIX + w, 32 bits), a page shorter than five
    words folds all it has."""
    lengths = np.fromiter(map(len, pages), np.int64, len(pages))
    w = _word_hashes([x for words in pages for x in words])
    w = np.append(w, np.zeros(SHINGLE_WORDS, np.uint64))  # gathers past a page's end: masked
    starts_per_page = np.maximum(lengths - SHINGLE_WORDS + 1, 1)
    page = np.repeat(np.arange(len(pages), dtype=np.int64), starts_per_page)
    first = np.repeat(np.cumsum(lengths) - lengths, starts_per_page)
    # a shingle's first word: its page's first word + its place among the page's shingles
    start = first + np.arange(len(page), dtype=np.int64) - np.repeat(
        np.cumsum(starts_per_page) - starts_per_page, starts_per_page)
    words_in = np.minimum(np.repeat(lengths, starts_per_page), SHINGLE_WORDS)
    h: npt.NDArray[np.uint64] = np.zeros(len(page), np.uint64)
    for j in range(SHINGLE_WORDS):
        folded = (h * _MIX + w[start + j]) & np.uint64(0xFFFFFFFF)
        h = np.where(j < words_in, folded, h)
    keyed = np.unique((page.astype(np.uint64) << np.uint64(32)) | h)  # per page, distinct
    return (keyed >> np.uint64(32)).astype(np.int64), keyed & np.uint64(0xFFFFFFFF)


def page_signature(text: str) -> npt.NDArray[np.uint32]:
    """The MinHash values of a page's text (word 5-gram shingles, lower-cased, of its first
    MAX_SIGNATURE_CHARS characters)."""
    return minhash_values(_shingle_hashes(_signature_words(text)))


def _signature_words(text: str) -> list[str]:
    """The lower-cased words a signature is made of (the first MAX_SIGNATURE_CHARS characters)."""
    return words(text[:MAX_SIGNATURE_CHARS].lower())


def _fmix(hashes: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint32]:
    s1, m1, s2, m2, s3 = _FMIX
    hv: npt.NDArray[np.uint32] = hashes.astype(np.uint32)
    hv = hv ^ (hv >> s1)
    hv = hv * m1
    hv = hv ^ (hv >> s2)
    hv = hv * m2
    return hv ^ (hv >> s3)


def minhash_values(hashes: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint32]:
    """datasketch's MinHash(num_perm=NUM_PERM, seed=1, scheme="affine32") of 32-bit hashes."""
    if not len(hashes):
        return np.full(NUM_PERM, _EMPTY, np.uint32)
    values: npt.NDArray[np.uint32] = (_fmix(hashes).reshape(-1, 1) * _PERM_A + _PERM_B).min(axis=0)
    return values


def batch_signatures(texts: list[str]) -> npt.NDArray[np.uint32]:
    """page_signature of each text, (len(texts), NUM_PERM): one numpy pass over the shingles of
    pages that fit MAX_CHUNK_SHINGLES (bounded memory), not one per page."""
    out = np.empty((len(texts), NUM_PERM), np.uint32)
    first = 0
    while first < len(texts):
        pages: list[list[str]] = []
        shingles = 0
        while first + len(pages) < len(texts) and (not pages or shingles < MAX_CHUNK_SHINGLES):
            pages.append(_signature_words(texts[first + len(pages)]))
            shingles += max(len(pages[-1]) - SHINGLE_WORDS + 1, 1)
        page, hashes = _batch_shingles(pages)
        mixed = np.multiply(_fmix(hashes).reshape(-1, 1), _PERM_A)
        np.add(mixed, _PERM_B, out=mixed)
        bounds = np.searchsorted(page, np.arange(len(pages)))  # every page has a shingle
        out[first:first + len(pages)] = np.minimum.reduceat(mixed, bounds, axis=0)
        first += len(pages)
    return out


def signatures(segments: pa.Table) -> pa.Table:
    """One signature per page of a segment table: of its article segments when they hold
    MIN_ARTICLE_WORDS words (a site's shared navigation and footers must not make its pages
    look alike), else of all its segments."""
    ids, articles, everything = _page_texts(segments)
    used = articles.to_pylist()
    short = [i for i, article in enumerate(used)
             # only whether there are MIN_ARTICLE_WORDS: the words after those are not counted
             if sum(1 for _ in islice(word_pattern(article).finditer(article),
                                      MIN_ARTICLE_WORDS)) < MIN_ARTICLE_WORDS]
    for i, text in zip(short, everything.take(pa.array(short, pa.int64())).to_pylist(),
                       strict=True):
        used[i] = text
    values = batch_signatures(used).reshape(-1)
    offsets = np.arange(0, len(values) + 1, NUM_PERM, dtype=np.int32)
    return pa.table({"page_id": ids,
                     "minhash": pa.ListArray.from_arrays(pa.array(offsets), pa.array(values))},
                    schema=SIGNATURE_SCHEMA)


def _page_texts(segments: pa.Table) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Per run of consecutive segments of one page: its id, the texts of its article segments
    and the texts of all its segments, each newline-joined (joined in Arrow, not per segment
    in Python; a null text counts as empty)."""
    n = segments.num_rows
    ids = segments["page_id"].combine_chunks().cast(pa.string())
    if n == 0:
        empty = pa.array([], pa.string())
        return empty, empty, empty
    changes = pc.not_equal(ids.slice(1), ids.slice(0, n - 1)).to_numpy(zero_copy_only=False)
    starts = np.concatenate([[0], np.flatnonzero(changes) + 1])
    texts = pc.fill_null(segments["text"].combine_chunks().cast(pa.string()), "")
    everything = pc.binary_join(
        pa.ListArray.from_arrays(pa.array(np.append(starts, n).astype(np.int32)), texts), "\n")
    article = pc.fill_null(pc.equal(segments["prelabel"].combine_chunks(), "article"), False)
    in_page = np.add.reduceat(article.to_numpy(zero_copy_only=False).astype(np.int64), starts)
    article_offsets = np.concatenate([[0], np.cumsum(in_page)]).astype(np.int32)
    articles = pc.binary_join(
        pa.ListArray.from_arrays(pa.array(article_offsets), texts.filter(article)), "\n")
    return ids.take(pa.array(starts)), articles, everything


class Clusters:
    """Union-find over pages in input order; each cluster's root is its first page. A band
    bucket keeps only its first page: every later page of the bucket is joined to it, so the
    bucket's pages are one cluster already and joining the first is joining them all (a page
    with many copies costs one join per band, not one per copy)."""

    def __init__(self) -> None:
        self.buckets: list[dict[bytes, str]] = [{} for _ in range(BANDS)]
        self.order: dict[str, int] = {}
        self.parent: dict[str, str] = {}

    def _root(self, pid: str) -> str:
        while self.parent[pid] != pid:
            self.parent[pid] = self.parent[self.parent[pid]]
            pid = self.parent[pid]
        return pid

    def add(self, pid: str, values: list[int]) -> None:
        if pid in self.order:
            raise ValueError(f"page {pid!r} was added twice")
        sig = np.asarray(values, np.uint32)
        if len(sig) != NUM_PERM:
            raise ValueError(f"page {pid!r}: {len(sig)} MinHash values, expected {NUM_PERM}")
        keys = [sig[i * ROWS:(i + 1) * ROWS].tobytes() for i in range(BANDS)]
        self.order[pid] = len(self.order)
        self.parent[pid] = pid
        for key, bucket in zip(keys, self.buckets, strict=True):
            other = bucket.setdefault(key, pid)
            if other != pid:
                a, b = self._root(pid), self._root(other)
                if a != b:
                    first, last = sorted((a, b), key=self.order.__getitem__)
                    self.parent[last] = first

    def members(self) -> dict[str, list[str]]:
        """Cluster (its first page) -> its pages in input order; clusters of two or more."""
        out: dict[str, list[str]] = {}
        for pid in self.order:
            out.setdefault(self._root(pid), []).append(pid)
        return {root: pages for root, pages in out.items() if len(pages) > 1}


def cluster_table(members: dict[str, list[str]]) -> pa.Table:
    rows = [(pid, root) for root, pages in members.items() for pid in pages]
    return pa.table({"page_id": pa.array([r[0] for r in rows], pa.string()),
                     "cluster": pa.array([r[1] for r in rows], pa.string())})


def merged_groups(members: dict[str, list[str]], group_of: dict[str, str]) -> dict[str, str]:
    """Split group -> the group it merges into, so that every page of a cluster shares a split
    (groups are sites or single pages; a cluster across sites joins those sites)."""
    parent: dict[str, str] = {}

    def root(g: str) -> str:
        while parent.get(g, g) != g:
            g = parent[g]
        return g

    for pages in members.values():
        groups = sorted({group_of[p] for p in pages if p in group_of})
        for g in groups[1:]:
            a, b = root(groups[0]), root(g)
            if a != b:
                parent[max(a, b)] = min(a, b)
    return {g: root(g) for g in parent}


def summary(members: dict[str, list[str]]) -> dict[str, Any]:
    sizes = [len(p) for p in members.values()]
    return {"clusters": len(sizes), "pages_in_clusters": sum(sizes),
            "largest": max(sizes, default=0), "threshold": THRESHOLD, "num_perm": NUM_PERM}
