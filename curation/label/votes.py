"""Reading the `votes` column (list<struct<rule, label>>) back as numbers, column-wise: one
reader for rule analysis, calibration and the trained model's combiner."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from curation.label.features import Codes
from curation.label.rules import ABSTAIN, CODE


def votes_matrix(table: pa.Table, rules: Sequence[str]) -> Codes:
    """The `votes` list column as an (n, r) matrix of label codes (ABSTAIN where none); votes
    of voters outside *rules* (the model's, a rule no longer run) are left out."""
    n = table.num_rows
    col = table.column("votes").combine_chunks()
    out = np.full((n, len(rules)), ABSTAIN, dtype=np.int8)
    if n == 0:
        return out
    offsets = col.offsets.to_numpy()
    row = np.repeat(np.arange(n), np.diff(offsets))
    flat = col.flatten()
    names = np.asarray(flat.field("rule").to_numpy(zero_copy_only=False)).astype(str)
    labels = np.asarray(flat.field("label").to_numpy(zero_copy_only=False)).astype(str)
    r_idx = {name: j for j, name in enumerate(rules)}
    ri = np.array([r_idx.get(x, -1) for x in names], dtype=np.int64)
    li = np.array([CODE.get(x, -1) for x in labels], dtype=np.int8)
    ok = (ri >= 0) & (li >= 0)
    out[row[ok], ri[ok]] = li[ok]
    return out
