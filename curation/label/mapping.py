"""A user's label set: the built-in labels the voters chose, renamed to the user's own."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from curation.config import RunConfig
from curation.schema import SEGMENT_SCHEMA


def to_user_labels(table: pa.Table, cfg: RunConfig) -> pa.Table:
    """*table* with `prelabel` and `label` mapped from the built-in labels to cfg's own
    (`labels: {main: [article], ...}`); unchanged without a mapping.

    `confidence` stays the winning built-in label's. It is what the calibration was fitted on
    (a calibrated probability that the segment is that built-in label, so a lower bound for its
    user label); summing the members' shares would mix raw vote shares into calibrated figures,
    and the winner would still be chosen among the built-in labels, as the votes are."""
    if not cfg.label_map:
        return table
    mapping = cfg.user_label_of
    built_in = pa.array(list(mapping), pa.string())
    user = pa.array(list(mapping.values()), pa.string())
    for name in ("prelabel", "label"):
        mapped = user.take(pc.index_in(table[name], value_set=built_in))  # null stays null
        i = table.schema.get_field_index(name)
        table = table.set_column(i, SEGMENT_SCHEMA.field(name), mapped)
    return table
