"""Streaming Parquet: write record batches as numbered shards, read them back batch by batch."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from curation.errors import InputError, SchemaError
from curation.schema import check_schema


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """*table* with exactly *schema*'s columns, in order; absent nullable columns become nulls."""
    cols = []
    for f in schema:
        if f.name in table.column_names:
            cols.append(table.column(f.name).cast(f.type))
        elif f.nullable:
            cols.append(pa.nulls(table.num_rows, f.type))
        else:
            raise SchemaError(f"column {f.name!r} is required by the {schema.metadata} schema")
    return pa.Table.from_arrays(cols, schema=schema)


# columns of a value per row that seldom repeats (a page's raw HTML or text, a segment's id and
# text): a dictionary would only hash every value to find few repeats (write CPU of the pages
# shards -20 %, of segment tables -13 %; the files' sizes within 0.5 %)
PLAIN_COLUMNS = frozenset({"content", "segment_id", "text"})


class ShardWriter:
    """Writes tables with one fixed schema into `part-00000.parquet`, … rolling every N rows."""

    def __init__(
        self, folder: Path, schema: pa.Schema, shard_rows: int = 200_000, prefix: str = "part"
    ) -> None:
        self.folder, self.schema, self.shard_rows, self.prefix = folder, schema, shard_rows, prefix
        self._writer: pq.ParquetWriter | None = None
        self._rows_in_shard = 0
        self.shards: list[Path] = []
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        table = conform(table, self.schema)
        if self._writer is None or self._rows_in_shard >= self.shard_rows:
            self._roll()
        assert self._writer is not None
        self._writer.write_table(table)
        self._rows_in_shard += table.num_rows
        self.rows += table.num_rows

    def _roll(self) -> None:
        self.close()
        path = self.folder / f"{self.prefix}-{len(self.shards):05d}.parquet"
        self.folder.mkdir(parents=True, exist_ok=True)
        self._writer = pq.ParquetWriter(
            path, self.schema, compression="zstd",
            use_dictionary=[n for n in self.schema.names if n not in PLAIN_COLUMNS])
        self.shards.append(path)
        self._rows_in_shard = 0

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def shard_paths(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder of Parquet shards")
    return sorted(folder.glob("*.parquet"))


def iter_batches(
    folder: Path, schema: pa.Schema, batch_rows: int = 65_536, columns: list[str] | None = None
) -> Iterator[pa.RecordBatch]:
    """Stream a folder of shards written with *schema*; a foreign file raises SchemaError."""
    for path in shard_paths(folder):
        pf = pq.ParquetFile(path)
        check_schema(pf.schema_arrow, schema, str(path))
        yield from pf.iter_batches(batch_size=batch_rows, columns=columns)
