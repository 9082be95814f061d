"""Ingest stage: config inputs -> PAGE_SCHEMA batches, written and read back as real Parquet."""

from __future__ import annotations

from pathlib import Path

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curation.config import InputConfig, RunConfig
from curation.errors import ConfigError, InputError
from curation.io.ingest import ingest, input_paths, pages_to_batches
from curation.io.parquet import ShardWriter, iter_batches
from curation.schema import PAGE_SCHEMA
from curation.stats import Stats


def make_inputs(folder: Path, n: int) -> None:
    folder.mkdir()
    for i in range(n):
        (folder / f"{i:02d}.txt").write_text(f"Page {i}: some article text.")


def test_batches_of_batch_pages_with_relative_inputs(tmp_path: Path) -> None:
    make_inputs(tmp_path / "raw", 5)
    cfg = RunConfig(input=InputConfig(paths=["raw/*.txt"]), batch_pages=2,
                    base_dir=str(tmp_path))
    assert input_paths(cfg) == [str(tmp_path / "raw/*.txt")]
    stats = Stats()
    batches = list(ingest(cfg, stats))
    assert [b.num_rows for b in batches] == [2, 2, 1]
    assert all(b.schema.equals(PAGE_SCHEMA, check_metadata=True) for b in batches)
    contents = [c for b in batches for c in b.column("content").to_pylist()]
    assert contents == [f"Page {i}: some article text." for i in range(5)]
    assert stats.get("ingest", "kept") == 5


def test_pages_round_trip_through_parquet_and_datasets(tmp_path: Path) -> None:
    cfg = RunConfig(batch_pages=2)  # the default input: builtin:samples
    stats = Stats()
    writer = ShardWriter(tmp_path / "pages", PAGE_SCHEMA, shard_rows=3)
    for batch in ingest(cfg, stats):
        writer.write(pa.Table.from_batches([batch]))
    writer.close()
    table = pq.read_table(tmp_path / "pages")
    assert table.num_rows == stats.get("ingest", "kept") >= 5
    assert len(writer.shards) > 1
    back = [b for b in iter_batches(tmp_path / "pages", PAGE_SCHEMA)]
    assert sum(b.num_rows for b in back) == table.num_rows
    ds = datasets.load_dataset("parquet", data_dir=str(tmp_path / "pages"), split="train",
                           cache_dir=str(tmp_path / "cache"))
    assert sorted(ds["page_id"]) == sorted(table.column("page_id").to_pylist())
    assert set(ds["format"]) == {"text", "html"}


def test_batch_pages_must_be_positive() -> None:
    with pytest.raises(ConfigError, match="batch_pages"):
        list(pages_to_batches([], 0))


def test_missing_input_fails_before_reading(tmp_path: Path) -> None:
    cfg = RunConfig(input=InputConfig(paths=["nope/"]), base_dir=str(tmp_path))
    with pytest.raises(InputError, match="does not exist"):
        ingest(cfg, Stats())


def _dictionary_encoded(table: pa.Table, folder: Path) -> dict[str, bool]:
    """Write *table* with a ShardWriter; per column, whether it was dictionary-encoded. The
    file must read back equal."""
    writer = ShardWriter(folder, table.schema)
    writer.write(table)
    writer.close()
    (path,) = writer.shards
    assert pq.read_table(path).equals(table)
    meta = pq.ParquetFile(path).metadata.row_group(0)
    return {meta.column(i).path_in_schema: any("DICTIONARY" in e
                                               for e in meta.column(i).encodings)
            for i in range(meta.num_columns)}


def test_page_content_is_written_without_a_dictionary(tmp_path: Path) -> None:
    """Every page's content differs: its column is written plain, the short columns keep their
    dictionary, and the table reads back equal."""
    pages = [{"page_id": f"p{i}", "format": "html", "source": "s.jsonl",
              "content": f"<p>page {i} {'x' * 500}</p>"} for i in range(50)]
    dictionary = _dictionary_encoded(pa.Table.from_pylist(pages, schema=PAGE_SCHEMA),
                                     tmp_path / "pages")
    assert not dictionary["content"]
    assert dictionary["source"]


def test_segment_ids_and_texts_are_written_without_a_dictionary(tmp_path: Path) -> None:
    from curation.schema import SEGMENT_SCHEMA

    rows = [{"segment_id": f"p:{i}", "page_id": "p", "position": i, "text": f"text {i}",
             "tag_path": "body>p", "url": "https://a.example/"} for i in range(40)]
    dictionary = _dictionary_encoded(pa.Table.from_pylist(rows, schema=SEGMENT_SCHEMA),
                                     tmp_path / "segments")
    assert not dictionary["segment_id"] and not dictionary["text"]
    assert dictionary["page_id"] and dictionary["tag_path"] and dictionary["url"]
