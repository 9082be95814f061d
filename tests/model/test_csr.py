"""`csr.joined` is scipy's hstack of the (row-gathered) blocks, entry for entry."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.model.csr import joined


def _block(rng: np.random.Generator, rows: int, cols: int, density: float) -> sp.csr_matrix:
    m = sp.random(rows, cols, density=density, format="csr", random_state=rng,
                  dtype=np.float64)
    m.sort_indices()
    return m


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 30), st.booleans())
def test_joined_is_hstack_of_the_gathered_blocks(seed: int, n: int, gather: bool) -> None:
    rng = np.random.default_rng(seed)
    distinct = int(rng.integers(1, 12))
    a = _block(rng, n, 7, 0.3)
    b = _block(rng, distinct, 11, 0.4)
    rows = rng.integers(0, distinct, size=n) if gather else None
    if rows is None:
        b = _block(rng, n, 11, 0.4)
    c = sp.csr_matrix(rng.random((n, 3)) * (rng.random((n, 3)) > 0.5))
    got = joined([(a, None), (b, rows), (c, None)], n)
    want = sp.hstack([a, b if rows is None else b[rows], c], format="csr")
    want.sort_indices()
    assert got.shape == want.shape == (n, 21)
    assert np.array_equal(got.indptr, want.indptr)
    assert np.array_equal(got.indices, want.indices)
    assert np.array_equal(got.data, want.data)
    assert got.has_sorted_indices


def test_an_unsorted_block_is_sorted_first() -> None:
    m = sp.csr_matrix((np.array([1.0, 2.0]), np.array([3, 0]), np.array([0, 2])), shape=(1, 4))
    got = joined([(m, None)], 1)
    assert got.indices.tolist() == [0, 3] and got.data.tolist() == [2.0, 1.0]


def test_no_rows() -> None:
    empty = sp.csr_matrix((0, 5))
    assert joined([(empty, None), (sp.csr_matrix((3, 2)), np.zeros(0, dtype=np.int64))],
                  0).shape == (0, 7)
