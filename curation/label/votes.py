"""Reading the `votes` column (list<struct<rule, label>>) back as numbers, column-wise: one
reader for rule analysis, calibration and the trained model's combiner."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from curation.label.features import Codes
from curation.label.rules import ABSTAIN, CODE


def votes_matrix(table: pa.Table, rules: Sequence[str]) -> Codes:
    """The `votes` list column as an (n, r) matrix of label codes (ABSTAIN where none); votes
    of voters outside *rules* (the model's, a rule no longer run) are left out."""
    out = np.full((table.num_rows, len(rules)), ABSTAIN, dtype=np.int8)
    if table.num_rows == 0:
        return out
    row, flat = _flat_votes(table)
    # looked up in Arrow (a batch holds ~60,000 votes): -1 for a voter or label not known
    ri = _index_in(flat.field("rule"), list(rules))
    known_labels = list(CODE)
    codes = np.array([CODE[lab] for lab in known_labels] + [-1], dtype=np.int8)  # [-1]: unknown
    li = codes[_index_in(flat.field("label"), known_labels)]
    ok = (ri >= 0) & (li >= 0)
    out[row[ok], ri[ok]] = li[ok]
    return out


def voted(table: pa.Table, rules: Sequence[str]) -> npt.NDArray[np.bool_]:
    """(n, r) True where the rule voted on the segment, whatever its label."""
    out = np.zeros((table.num_rows, len(rules)), dtype=np.bool_)
    if table.num_rows == 0:
        return out
    row, flat = _flat_votes(table)
    ri = _index_in(flat.field("rule"), list(rules))
    out[row[ri >= 0], ri[ri >= 0]] = True
    return out


def _flat_votes(table: pa.Table) -> tuple[npt.NDArray[np.int64], pa.StructArray]:
    """Every vote of the table in row order, and the row each belongs to."""
    col = table.column("votes").combine_chunks()
    # the parent of each item flatten() gives (a null list has none), offsets or not
    row = np.asarray(pc.list_parent_indices(col).to_numpy(zero_copy_only=False), dtype=np.int64)
    return row, col.flatten()


def _index_in(values: pa.Array, known: list[str]) -> npt.NDArray[np.int32]:
    """The index of each of *values* in *known*; -1 where it is not there (or null)."""
    found = pc.index_in(values, value_set=pa.array(known, pa.string())).fill_null(-1)
    return np.asarray(found.to_numpy(zero_copy_only=False), dtype=np.int32)
