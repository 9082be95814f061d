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
import pytest

from curation.config import load_config
from curation.pipeline import run
from curation.publish import hf, publish_dataset
from curation.publish.hf import file_rows, plan_files
from curation.run.engine import LocalEngine
from curation.stats import Stats


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


def test_a_mid_size_split_is_cut_into_a_file_per_worker() -> None:
    """Under workers x shard_rows rows a split is cut evenly, one file per worker, never into
    files under the floor; a big split keeps files of shard_rows rows."""
    assert file_rows(313_000, 200_000, 1) == 200_000  # one worker: files of shard_rows
    assert file_rows(157_000, 200_000, 2) == 78_500
    assert file_rows(157_000, 200_000, 4) == 52_334  # 3 files: none under the 50,000 floor
    assert file_rows(90_000, 200_000, 2) == 200_000  # two files would be under the floor
    assert file_rows(900_000, 200_000, 2) == 200_000  # already a file per worker and more
    assert file_rows(157, 200, 2, floor=50) == 79  # shard_rows is the cap, not the floor
    files = plan_files(["a", "b"], [{"t": 120_000, "v": 5}, {"t": 60_000}], ["t", "v"],
                       200_000, "d", workers=2)
    assert [(f.path, f.slices) for f in files] == [
        ("d/t-00000-of-00002.parquet", (("a", 0, 90_000),)),
        ("d/t-00001-of-00002.parquet", (("a", 90_000, 30_000), ("b", 0, 60_000))),
        ("d/v-00000-of-00001.parquet", (("a", 0, 5),))]


def test_files_per_worker_hold_the_rows_of_one_file(tmp_path: Path, kit: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Cut for two workers, the splits' files hold the rows a one-worker run writes in one."""
    kit.write_pages(tmp_path / "in", range(40))
    inputs = [str(tmp_path / "in")]
    one = tmp_path / "one"
    run(load_config(kit.write_config(tmp_path / "a.yaml", inputs, one, batch_pages=4)))
    reference = kit.dataset_rows(one)
    assert {s: len(f) for s, f in _files(one).items()} == dict.fromkeys(reference, 1)
    two = tmp_path / "two"
    monkeypatch.setattr(hf, "MIN_ROWS_PER_FILE", 10)  # the floor of a run this small
    engine = LocalEngine(2)
    try:
        publish_dataset(one / "filtered", two / "dataset", load_config(tmp_path / "a.yaml"),
                        Stats(), mapper=engine.map, workers=2)
    finally:
        engine.close()
    files = _files(two)
    assert {s: len(f) for s, f in files.items()} == {
        s: 2 if t.num_rows >= 20 else 1 for s, t in reference.items()}
    assert 2 in {len(f) for f in files.values()}
    for split, table in kit.dataset_rows(two).items():
        assert table.equals(reference[split]), split
    ds = datasets.load_dataset(str(two / "dataset"))
    assert {s: ds[s].num_rows for s in ds} == {s: t.num_rows for s, t in reference.items()}
