"""Columns of a batch as integer codes into their distinct values, and keys made of several
such columns, computed with numpy instead of one Python step per row.

A batch has ~50,000 rows and a string feature group's key (a row's pre-label, its tag path,
its neighbour's) takes ~100 distinct values. Zipping the rows' values into tuples and looking
each up cost as much as the rest of the featurizer; here each column is coded once, a key of
several columns is a product of codes (`joint`), and only the distinct keys are decoded."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curation.model.arrays import Bools, Ints


def factorize(rows: Iterable[Any]) -> tuple[Ints, list[Any]]:
    """Each row's index among the distinct values (numbered first seen first), and those
    values. The loops run in C (`dict.fromkeys`, `map` over a dict's lookup)."""
    rows = rows if isinstance(rows, list) else list(rows)
    distinct = list(dict.fromkeys(rows))
    index = {value: i for i, value in enumerate(distinct)}
    return (np.fromiter(map(index.__getitem__, rows), dtype=np.int64, count=len(rows)),
            distinct)


@dataclass(frozen=True)
class Coded:
    """A column of rows: row i holds `values[codes[i]]` (values may repeat: a mapped column
    keeps its codes)."""

    codes: Ints
    values: list[Any]

    @classmethod
    def of(cls, rows: Sequence[Any]) -> Coded:
        """A list's rows, coded."""
        codes, values = factorize(rows)
        return cls(codes, values)

    @classmethod
    def of_ints(cls, rows: Ints, names: Sequence[Any] | None = None) -> Coded:
        """Small non-negative integers (bin indices) as their own codes; *names*: the value of
        each code (default: the integer)."""
        codes = np.asarray(rows, dtype=np.int64)
        size = int(codes.max()) + 1 if len(codes) else 0
        values = list(names) if names is not None else list(range(size))
        if size > len(values):
            raise ValueError(f"code {size - 1} has no name among {len(values)}")
        return cls(codes, values)

    @classmethod
    def of_arrow(cls, column: pa.ChunkedArray | pa.Array, null: Any = "") -> Coded:
        """A string column of a table, coded by Arrow (nulls read as *null*)."""
        arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        encoded = pc.dictionary_encode(pc.fill_null(arr, null))
        codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
        return cls(codes, encoded.dictionary.to_pylist())

    def map(self, fn: Callable[[Any], Any]) -> Coded:
        """The column of `fn(value)`: computed once per distinct value."""
        return Coded(self.codes, [fn(v) for v in self.values])

    def per_row(self, fn: Callable[[Any], Any], dtype: Any = np.float64) -> Any:
        """`fn(value)` of each row as a numpy array, computed once per distinct value."""
        return np.asarray([fn(v) for v in self.values], dtype=dtype)[self.codes] \
            if self.values else np.zeros(len(self.codes), dtype=dtype)

    def rows(self) -> list[Any]:
        """The rows' values as a list."""
        return list(map(self.values.__getitem__, self.codes.tolist()))

    def taken(self, idx: Ints, ok: Bools, fill: Any) -> Coded:
        """Row i holds row idx[i]'s value where ok[i], else *fill*."""
        codes = np.full(len(idx), len(self.values), dtype=np.int64)
        codes[ok] = self.codes[idx[ok]]
        return Coded(codes, [*self.values, fill])


def joint(columns: Sequence[Coded]) -> tuple[Ints, list[tuple[Any, ...]]]:
    """Per row the index of its key, the tuple of its values in *columns*, among the distinct
    keys; and those keys. The codes of the columns seen so far are re-numbered after each
    column (`np.unique`), so the products never outgrow the rows."""
    if not columns:
        raise ValueError("a key needs at least one column")
    first = columns[0]
    distinct, key = np.unique(first.codes, return_inverse=True)
    keys = [(first.values[c],) for c in distinct.tolist()]
    for col in columns[1:]:
        size = max(len(col.values), 1)
        distinct, key = np.unique(key * size + col.codes, return_inverse=True)
        before, own = np.divmod(distinct, size)
        keys = [keys[a] + (col.values[b],)
                for a, b in zip(before.tolist(), own.tolist(), strict=True)]
    return np.asarray(key, dtype=np.int64).reshape(-1), keys


def run_starts(*codes: Ints) -> Ints:
    """The first row of each run of consecutive rows equal in every one of *codes*."""
    n = len(codes[0]) if codes else 0
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    change = np.zeros(n, dtype=np.bool_)
    change[0] = True
    for c in codes:
        change[1:] |= c[1:] != c[:-1]
    return np.flatnonzero(change)


def runs(*codes: Ints) -> list[tuple[int, int]]:
    """The row ranges [a, b) of the runs (see `run_starts`)."""
    starts = run_starts(*codes).tolist()
    n = len(codes[0]) if codes else 0
    return list(zip(starts, [*starts[1:], n][: len(starts)], strict=True))


def page_runs(table: pa.Table) -> list[tuple[int, int]]:
    """The row ranges [a, b) of a segment table's pages (a page's rows are contiguous)."""
    return runs(Coded.of_arrow(table.column("page_id")).codes)


def run_ids(*codes: Ints) -> Ints:
    """Per row, the number of its run (see `run_starts`)."""
    n = len(codes[0]) if codes else 0
    ids = np.zeros(n, dtype=np.int64)
    starts = run_starts(*codes)
    if len(starts):
        ids[starts[1:]] = 1
    return np.cumsum(ids)


def count_in_runs(run: Ints, code: Ints) -> Ints:
    """Per row, how many rows of its run share its code."""
    if len(run) == 0:
        return np.zeros(0, dtype=np.int64)
    size = int(code.max()) + 1
    _, inverse, counts = np.unique(run * size + code, return_inverse=True, return_counts=True)
    return np.asarray(counts[inverse.reshape(-1)], dtype=np.int64)
