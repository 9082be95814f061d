"""The dataset's files per split follow the data, not the shards (issue 9): each split is cut
into files of `publish.shard_rows` rows (the last smaller), whatever the number of shards, with
the rows of one file per split in the same order; changing the file size redoes publish only."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import datasets
import pyarrow as pa
import pyarrow.parquet as pq

from curation.config import load_config
from curation.pipeline import run


def _files(out: Path) -> dict[str, list[Path]]:
    files: dict[str, list[Path]] = {}
    for path in sorted((out / "dataset" / "data").glob("*.parquet")):
        files.setdefault(path.name.split("-")[0], []).append(path)
    return files


def test_files_per_split_follow_the_rows_not_the_shards(tmp_path: Path, kit: Any) -> None:
    kit.write_pages(tmp_path / "in", range(120))
    inputs = [str(tmp_path / "in")]
    one = tmp_path / "one"
    stats = run(load_config(kit.write_config(tmp_path / "a.yaml", inputs, one, batch_pages=4,
                                             workers=2)))
    shards = stats["shards"]["total"]
    assert shards >= 10
    assert {s: len(f) for s, f in _files(one).items()} == dict.fromkeys(_files(one), 1)
    reference = kit.dataset_rows(one)

    cut = tmp_path / "cut"
    cfg = kit.write_config(tmp_path / "b.yaml", inputs, cut, batch_pages=4, workers=2,
                           publish={"shard_rows": 13})
    run(load_config(cfg))
    for split, files in _files(cut).items():
        rows = [pq.read_metadata(f).num_rows for f in files]
        total = reference[split].num_rows
        assert len(files) == math.ceil(total / 13)
        assert rows[:-1] == [13] * (len(files) - 1) and 0 < rows[-1] <= 13, split
        assert [f.name for f in files] == [
            f"{split}-{j:05d}-of-{len(files):05d}.parquet" for j in range(len(files))]
        assert pa.concat_tables(pq.read_table(f) for f in files).equals(reference[split])
    ds = datasets.load_dataset(str(cut / "dataset"))
    assert {s: ds[s].num_rows for s in ds} == {s: t.num_rows for s, t in reference.items()}

    # a new file size: only publish runs again, to the same rows
    cfg = kit.write_config(tmp_path / "b.yaml", inputs, cut, batch_pages=4, workers=2,
                           publish={"shard_rows": 1000})
    again = run(load_config(cfg), resume=True)
    assert again["shards"]["run"] == 0
    assert set(again["timing"]) >= {"publish"} and "filter" not in again["timing"]
    assert {s: len(f) for s, f in _files(cut).items()} == dict.fromkeys(reference, 1)
    for split, table in kit.dataset_rows(cut).items():
        assert table.equals(reference[split])
