"""The featurizer's string features in scikit-learn's hashed columns, computed faster.

`TokenRows` gives what `FeatureHasher(n_features, input_type="string", alternate_sign=False)`
gives for each row's list of string features, without building that list: a feature group
adds one key per row (its neighbours' labels, its tag path, its word bin) and a function from
a key to the key's strings. A batch of ~20,000 rows holds ~100 distinct keys per group, so
each key's strings are made and hashed once and the rows take their columns by index. The
featurizer gives its keys as coded columns (`add_joint`: no Python step per row); `add`
takes any keys, coding them first."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from itertools import chain, repeat
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.utils import murmurhash3_32

from curation.model.coded import Coded, joint

Key = TypeVar("Key", bound=Hashable)

# per hash space size: string feature -> its column, as FeatureHasher hashes it (murmurhash3)
_COLUMNS: dict[int, dict[str, int]] = {}
_MAX_COLUMNS_KNOWN = 1_000_000  # a run's string features are a few thousand; a bound anyway


class TokenRows:
    """The string features of *n* rows, added a group at a time (see the module's doc)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self._groups: list[tuple[npt.NDArray[np.int64], list[tuple[str, ...]]]] = []

    def add(self, keys: Iterable[Key], make: Callable[[Key], tuple[str, ...]]) -> None:
        """Give each row the strings `make(key)` of its key (*keys*: one a row, in order)."""
        self.add_joint([Coded.of(list(keys))], lambda k: make(k[0]))

    def add_joint(self, columns: Sequence[Coded],
                  make: Callable[[tuple[Any, ...]], tuple[str, ...]]) -> None:
        """Give each row the strings `make(key)` of its key: the tuple of its values in
        *columns* (coded: `coded.joint` finds the distinct keys without a step per row)."""
        row_key, distinct = joint(columns)
        if len(row_key) != self.n:
            raise ValueError(f"{len(row_key)} keys for {self.n} rows")
        self._groups.append((row_key, [make(k) for k in distinct]))

    def matrix(self, n_features: int) -> sp.csr_matrix:
        """Per row the count of each column, indices sorted: FeatureHasher's matrix."""
        rows: list[npt.NDArray[np.int64]] = []
        cols: list[npt.NDArray[np.int32]] = []
        for row_key, made in self._groups:
            key_cols = string_columns(list(chain.from_iterable(made)), n_features)
            key_len = np.fromiter(map(len, made), dtype=np.int64, count=len(made))
            key_start = np.cumsum(key_len) - key_len
            row_len = key_len[row_key]
            before = np.cumsum(row_len) - row_len  # the row's first place in this group's run
            place = np.repeat(key_start[row_key] - before, row_len) + np.arange(row_len.sum())
            rows.append(np.repeat(np.arange(self.n), row_len))
            cols.append(key_cols[place])
        r = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        c = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int32)
        m = sp.coo_matrix((np.ones(len(r)), (r, c)), shape=(self.n, n_features)).tocsr()
        m.sum_duplicates()  # as FeatureHasher: repeated columns summed, indices sorted
        return m


def string_columns(strings: list[str], n_features: int) -> npt.NDArray[np.int32]:
    """The column of each of *strings* in FeatureHasher's space of *n_features* columns. A
    run's string features come from a vocabulary of a few thousand (1,758 in 200 real pages'
    2 million), its char n-grams from one of tens of thousands: each is hashed once per
    process (as FeatureHasher hashes it: `hashed_columns`), not once a row."""
    known = _COLUMNS.setdefault(n_features, {})
    cols = np.fromiter(map(known.get, strings, repeat(-1)), dtype=np.int32, count=len(strings))
    unknown = np.flatnonzero(cols < 0)
    if len(unknown):
        # a process's first batch meets ~2 million n-grams of ~100,000 distinct strings: the
        # loops over them run in C (map, dict.fromkeys), only the distinct ones are hashed
        missing = list(map(strings.__getitem__, unknown.tolist()))
        new = list(dict.fromkeys(missing))
        if len(known) + len(new) > _MAX_COLUMNS_KNOWN:
            known.clear()
        known.update(zip(new, hashed_columns(new, n_features).tolist(), strict=True))
        cols[unknown] = np.fromiter(map(known.__getitem__, missing), dtype=np.int32,
                                    count=len(missing))
    return cols


def hashed_columns(strings: list[str], n_features: int) -> npt.NDArray[np.int64]:
    """The column `FeatureHasher(n_features, input_type="string", alternate_sign=False)` puts
    each of *strings* in: |murmurhash3_32(utf-8 bytes, seed 0)| mod *n_features*, computed as
    its Cython loop does (without a generator and a list per string around each hash)."""
    h = np.fromiter(map(murmurhash3_32, strings), dtype=np.int64, count=len(strings))
    # abs(-2**31) does not fit an int32: FeatureHasher defines that column this way
    edge = (2**31 - 1 - (n_features - 1)) % n_features
    cols: npt.NDArray[np.int64] = np.where(h == -(2**31), edge, np.abs(h) % n_features)
    return cols
