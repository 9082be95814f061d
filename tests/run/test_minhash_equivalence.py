"""The numpy MinHash and LSH banding in curation.dedup give datasketch's results bit for bit:
the same signature values (affine32, seed 1) and the same clusters as MinHashLSH."""

from __future__ import annotations

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH
from datasketch.lsh import _optimal_param

from curation.dedup import (
    BANDS,
    MAX_CHUNK_SHINGLES,
    NUM_PERM,
    ROWS,
    SCHEME,
    THRESHOLD,
    Clusters,
    batch_signatures,
    minhash_values,
    page_signature,
)


def _datasketch_values(hashes: list[int]) -> np.ndarray:
    m = MinHash(num_perm=NUM_PERM, seed=1, hashfunc=int, scheme=SCHEME)
    m.update_batch(hashes)
    return np.asarray(m.hashvalues, dtype=np.uint32)


def test_lsh_bands_are_datasketchs_optimum() -> None:
    assert _optimal_param(THRESHOLD, NUM_PERM, 0.5, 0.5) == (BANDS, ROWS)


@pytest.mark.parametrize("size", [0, 1, 7, 500])
def test_signature_values_match_datasketch(size: int) -> None:
    hashes = np.random.default_rng(size).integers(0, 2**32, size, dtype=np.uint64)
    ours = minhash_values(hashes)
    assert ours.dtype == np.uint32
    assert np.array_equal(ours, _datasketch_values(hashes.tolist()))


def test_page_signature_is_deterministic_and_text_sensitive() -> None:
    text = "one two three four five six seven eight nine ten eleven"
    assert np.array_equal(page_signature(text), page_signature(text.upper()))
    assert not np.array_equal(page_signature(text), page_signature(text + " twelve"))


def test_batch_signatures_are_each_pages_signature() -> None:
    """The batch pass (all pages' shingles at once, in chunks) gives each page the signature it
    gets alone: empty and short pages, repeated words, chunk edges."""
    rng = np.random.default_rng(3)
    vocab = [f"w{i}" for i in range(400)]
    texts = ["", "one", "a b c", "one two three four five", "x x x x x x", "İstanbul Straße"]
    while sum(len(t.split()) for t in texts) < 3 * MAX_CHUNK_SHINGLES:  # several chunks
        texts.append(" ".join(rng.choice(vocab, int(rng.integers(0, 3000)))))
    ours = batch_signatures(texts)
    assert ours.shape == (len(texts), NUM_PERM) and ours.dtype == np.uint32
    for text, row in zip(texts, ours, strict=True):
        assert np.array_equal(row, page_signature(text))
    assert batch_signatures([]).shape == (0, NUM_PERM)


def test_clusters_match_datasketch_lsh() -> None:
    rng = np.random.default_rng(7)
    bases = [rng.integers(0, 2**32, NUM_PERM, dtype=np.uint64) for _ in range(30)]
    sigs = list(bases)
    for _ in range(120):  # copies with 0-40 of 64 values changed: some pass LSH, some not
        sig = bases[rng.integers(len(bases))].copy()
        changed = rng.choice(NUM_PERM, rng.integers(0, 41), replace=False)
        sig[changed] = rng.integers(0, 2**32, len(changed), dtype=np.uint64)
        sigs.append(sig)
    sigs += [bases[0].copy() for _ in range(60)]  # many exact copies: one bucket, one join each
    ours = Clusters()
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    parent: dict[str, str] = {}

    def root(p: str) -> str:
        while parent[p] != p:
            p = parent[p]
        return p

    for i, sig in enumerate(sigs):
        pid = f"p{i:03d}"  # names sort in input order: the smaller root is the first page
        ours.add(pid, sig.tolist())
        m = MinHash(num_perm=NUM_PERM, seed=1, hashvalues=sig, scheme=SCHEME)
        parent[pid] = pid
        for other in lsh.query(m):
            a, b = sorted((root(pid), root(other)))
            parent[b] = a
        lsh.insert(pid, m)
    expected: dict[str, list[str]] = {}
    for pid in parent:
        expected.setdefault(root(pid), []).append(pid)
    expected = {r: ps for r, ps in expected.items() if len(ps) > 1}
    assert len(expected) >= 5
    assert ours.members() == expected


def test_a_page_added_twice_or_a_short_signature_is_an_error() -> None:
    clusters = Clusters()
    clusters.add("a", [1] * NUM_PERM)
    with pytest.raises(ValueError, match="added twice"):
        clusters.add("a", [1] * NUM_PERM)
    with pytest.raises(ValueError, match="MinHash values"):
        clusters.add("b", [1] * 3)
