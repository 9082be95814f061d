"""One schema, one record type: they must not drift apart."""

from __future__ import annotations

import pyarrow as pa
import pytest

from curation.errors import SchemaError
from curation.schema import (
    DATASET_SCHEMA,
    PAGE_SCHEMA,
    SEGMENT_SCHEMA,
    check_schema,
)


def test_dataset_columns_come_from_the_segment_schema() -> None:
    for f in DATASET_SCHEMA.remove(DATASET_SCHEMA.get_field_index("split")):
        assert SEGMENT_SCHEMA.field(f.name).equals(f)
    assert DATASET_SCHEMA.field("split").type == pa.string()


def test_check_schema_names_the_problem() -> None:
    check_schema(SEGMENT_SCHEMA, SEGMENT_SCHEMA, "x")
    with pytest.raises(SchemaError, match="'text' is missing"):
        check_schema(pa.schema([f for f in SEGMENT_SCHEMA if f.name != "text"],
                               metadata=SEGMENT_SCHEMA.metadata), SEGMENT_SCHEMA, "x")
    with pytest.raises(SchemaError, match="version"):
        check_schema(PAGE_SCHEMA.with_metadata({"curation_schema": "0"}), PAGE_SCHEMA, "x")
