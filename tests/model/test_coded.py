"""Coded columns give what the row-by-row Python they replaced gave: the same keys, runs and
counts, whatever the values."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.model.coded import Coded, count_in_runs, factorize, joint, run_ids, runs


def equal_runs(values: list[Any]) -> list[tuple[int, int]]:
    """Row ranges of consecutive equal values, row by row: the reference."""
    out: list[tuple[int, int]] = []
    for i, v in enumerate(values):
        if out and values[out[-1][0]] == v:
            out[-1] = (out[-1][0], i + 1)
        else:
            out.append((i, i + 1))
    return out

small = st.lists(st.sampled_from(["a", "b", "", "edge", "c"]), min_size=0, max_size=40)


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_joint_keys_are_the_rows_tuples(data: st.DataObject) -> None:
    n = data.draw(st.integers(0, 40))
    cols = [data.draw(st.lists(st.sampled_from(["x", "y", "", "z"]), min_size=n, max_size=n))
            for _ in range(data.draw(st.integers(1, 4)))]
    ints = data.draw(st.lists(st.integers(0, 5), min_size=n, max_size=n))
    coded = [Coded.of(c) for c in cols] + [Coded.of_ints(np.array(ints, dtype=np.int64))]
    key, distinct = joint(coded)
    rows = list(zip(*cols, ints, strict=True))
    assert len(key) == n
    assert [distinct[k] for k in key.tolist()] == rows
    assert len(distinct) == len(set(rows))  # each distinct tuple once


def test_joint_of_mapped_columns_decodes_the_mapped_values() -> None:
    tags = Coded.of(["div>p", "div>p", "ul>li", ""])
    key, distinct = joint([tags.map(lambda t: t.rsplit(">", 1)[-1]), Coded.of(list("abab"))])
    assert [distinct[k] for k in key.tolist()] == [("p", "a"), ("p", "b"), ("li", "a"), ("", "b")]


def test_a_neighbour_past_the_page_takes_the_fill_value() -> None:
    col = Coded.of(["x", "y", "z"])
    idx = np.array([1, 2, 3])
    ok = np.array([True, True, False])
    assert col.taken(idx, ok, "edge").rows() == ["y", "z", "edge"]
    votes = Coded.of([("r1",), (), ("r1", "r2")])
    assert votes.taken(idx, ok, ("edge",)).rows() == [(), ("r1", "r2"), ("edge",)]


@settings(max_examples=80, deadline=None)
@given(small, st.integers(1, 3))
def test_runs_are_equal_runs(values: list[str], pages: int) -> None:
    codes = Coded.of(values).codes
    assert runs(codes) == equal_runs(values)
    page = np.arange(len(values)) * pages // max(len(values), 1)
    expected = [(a + pa_, a + pb) for a, b in equal_runs(page.tolist())
                for pa_, pb in equal_runs(values[a:b])]
    assert runs(page, codes) == expected
    ids = run_ids(page, codes)
    assert [ids[a] for a, _ in expected] == list(range(len(expected)))


@settings(max_examples=80, deadline=None)
@given(small)
def test_count_in_runs_counts_within_each_run(values: list[str]) -> None:
    page = np.arange(len(values)) // 7  # pages of 7 rows
    got = count_in_runs(page, Coded.of(values).codes).tolist()
    want = [Counter(values[a - a % 7 : a - a % 7 + 7])[v] for a, v in enumerate(values)]
    assert got == want


def test_arrow_columns_code_nulls_as_the_given_value_across_chunks() -> None:
    col = pa.chunked_array([["a", None, "b"], ["b", "c", None]])
    coded = Coded.of_arrow(col, null="none")
    assert coded.rows() == ["a", "none", "b", "b", "c", "none"]
    assert Coded.of_arrow(pa.chunked_array([], pa.string())).rows() == []


def test_factorize_numbers_first_seen_first() -> None:
    codes, distinct = factorize(["b", "a", "b", "c"])
    assert distinct == ["b", "a", "c"]
    assert codes.tolist() == [0, 1, 0, 2]


def test_an_int_code_without_a_name_is_an_error() -> None:
    with pytest.raises(ValueError, match="no name"):
        Coded.of_ints(np.array([0, 3]), ["0", "1"])
