"""publish_dataset end to end: real Parquet read back with pyarrow and datasets.load_dataset."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from curation.config import RunConfig
from curation.errors import InputError, OutputExistsError
from curation.io.atomic import is_complete
from curation.publish import assign_splits, publish_dataset
from curation.publish.splits import encoded_group_keys, group_keys
from curation.schema import DATASET_COLUMNS, DATASET_SCHEMA
from curation.stats import Stats
from curation.taxonomy import site_of

CFG = RunConfig()
Rows = list[dict[str, Any]]


def load(out: Path, tmp_path: Path) -> datasets.DatasetDict:
    ds = datasets.load_dataset(str(out), cache_dir=str(tmp_path / "hf_cache"))
    assert isinstance(ds, datasets.DatasetDict)
    return ds


def front_matter(out: Path) -> tuple[dict[str, Any], str]:
    text = (out / "README.md").read_text(encoding="utf-8")
    m = re.match(r"^---\n(.*?)\n---\n(.*)$", text, re.S)
    assert m, "card must start with a YAML header"
    return yaml.safe_load(m.group(1)), m.group(2)


def test_publish_loads_with_splits_and_classlabel(
        segments_dir: Path, tmp_path: Path, make_rows: Callable[[Any], Rows],
        sites: dict[str, Any]) -> None:
    stats = Stats()
    out = tmp_path / "dataset"
    summary = publish_dataset(segments_dir, out, CFG, stats)
    assert is_complete(out)
    ds = load(out, tmp_path)
    assert len(ds) >= 2 and set(ds) <= {"train", "validation", "test"}
    want = datasets.Features.from_arrow_schema(DATASET_SCHEMA)
    want["label"] = datasets.ClassLabel(names=CFG.labels)
    for split, part in ds.items():
        label = part.features["label"]
        assert isinstance(label, datasets.ClassLabel) and label.names == CFG.labels
        assert part.features == want  # every dtype as in DATASET_SCHEMA
        assert part.column_names == [*DATASET_COLUMNS, "split"]
        assert set(part["split"]) == {split}
        assert part.num_rows == summary["splits"][split]
    assert summary["rows"] == 64 == sum(p.num_rows for p in ds.values())
    assert stats.get("publish", "rows") == 64
    # labels survive the ClassLabel round trip
    names = ds["train"].features["label"]
    got = {r["segment_id"]: (names.int2str(r["label"]), r["text"]) for p in ds.values() for r in p}
    assert got == {r["segment_id"]: (r["label"], r["text"]) for r in make_rows(sites)}
    # pyarrow reads the same files with the DATASET_SCHEMA
    for shard in sorted((out / "data").glob("*.parquet")):
        assert re.fullmatch(r"(train|validation|test)-\d{5}-of-\d{5}\.parquet", shard.name)
        assert pq.read_schema(shard).equals(DATASET_SCHEMA, check_metadata=False)


def test_no_site_in_two_splits(segments_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "dataset"
    publish_dataset(segments_dir, out, CFG, Stats())
    ds = load(out, tmp_path)
    split_of: dict[str, set[str]] = {}
    page_split: dict[str, str] = {}
    for split, part in ds.items():
        for domain, page in zip(part["domain"], part["page_id"], strict=True):
            key = site_of(domain) or f"page:{page}"
            split_of.setdefault(key, set()).add(split)
            page_split[page] = split
    assert all(len(s) == 1 for s in split_of.values()), split_of
    assert page_split["bg1"] == page_split["bg2"]  # www.news.bg is folded into news.bg
    assert len(split_of) == 6  # 5 sites + the page without a domain


def test_split_assignment_is_deterministic(segments_dir: Path, tmp_path: Path) -> None:
    first = publish_dataset(segments_dir, tmp_path / "a", CFG, Stats())
    second = publish_dataset(segments_dir, tmp_path / "b", CFG, Stats())
    assert first["splits"] == second["splits"]
    for shard in sorted((tmp_path / "a" / "data").glob("*.parquet")):
        assert pq.read_table(shard).equals(pq.read_table(tmp_path / "b" / "data" / shard.name))
    assert (tmp_path / "a" / "README.md").read_text() == (tmp_path / "b" / "README.md").read_text()


@pytest.mark.parametrize("domains", [
    ["www.bbc.co.uk", None, "news.bbc.co.uk", "", "a.example", None, "BBC.co.uk"],
    ["x.com", "www.x.com", "y.org"],  # every row has a site: no page keys
    [None, None, ""],  # no row has one
])
def test_encoded_group_keys_are_the_group_keys(domains: list[str | None]) -> None:
    """Publish looks each key up once: the dictionary form must give every row its key."""
    pages = [f"p{i % 3}" for i in range(len(domains))]
    half = len(domains) // 2
    table = pa.concat_tables([  # chunked columns, as a table read in pieces has
        pa.table({"domain": pa.array(domains[:half], pa.string()), "page_id": pages[:half]}),
        pa.table({"domain": pa.array(domains[half:], pa.string()), "page_id": pages[half:]})])
    encoded = encoded_group_keys(table)
    assert encoded.cast(pa.string()).equals(group_keys(table))
    keys = encoded.dictionary.to_pylist()
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("n_groups", [3, 4, 5, 8, 20])
def test_every_nonzero_split_gets_a_group(n_groups: int) -> None:
    groups = {f"site:s{i}.com": 100 if i == 0 else 3 for i in range(n_groups)}
    got = assign_splits(groups, {"train": 0.8, "validation": 0.1, "test": 0.1})
    assert set(got.values()) == {"train", "validation", "test"}
    assert assign_splits(groups, {"train": 0.8, "validation": 0.2, "test": 0.0}).keys() == \
        groups.keys()
    assert "test" not in assign_splits(groups, {"train": 0.8, "validation": 0.2, "test": 0.0}
                                       ).values()


def test_row_fractions_are_roughly_kept() -> None:
    groups = {f"site:s{i}.com": 10 for i in range(200)}
    got = Counter(assign_splits(groups, {"train": 0.8, "validation": 0.1, "test": 0.1}).values())
    assert got == {"train": 160, "validation": 20, "test": 20}


def test_card_counts_match_the_data(segments_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "dataset"
    summary = publish_dataset(segments_dir, out, CFG, Stats())
    header, body = front_matter(out)
    ds = load(out, tmp_path)
    info = header["dataset_info"]
    assert {s["name"]: s["num_examples"] for s in info["splits"]} == \
        {s: p.num_rows for s, p in ds.items()}
    assert [c["split"] for c in header["configs"][0]["data_files"]] == list(ds)
    assert info["features"][1] == {"name": "label", "dtype": {"class_label": {
        "names": {str(i): name for i, name in enumerate(CFG.labels)}}}}
    assert sorted(header["language"]) == ["bg", "en", "ru"]
    # the label table: one row per label, per-split counts and the total, equal to the data
    for name in CFG.labels:
        row = re.search(rf"^\| {name} \| (.*) \|$", body, re.M)
        assert row, name
        cells = [int(c) for c in row.group(1).split(" | ")]
        want = [sum(1 for x in p["label"] if p.features["label"].int2str(x) == name)
                for p in ds.values()]
        assert cells == [*want, sum(want)]
        assert summary["labels"].get(name, 0) == sum(want)
    lang_row = re.search(r"^\| bg \| (.*) \|$", body, re.M)
    assert lang_row and int(lang_row.group(1).split(" | ")[-1]) == \
        sum(1 for p in ds.values() for x in p["lang"] if x == "bg") == summary["langs"]["bg"]
    assert summary["label_sources"] == {"human": 7, "rule": 57}
    assert re.search(r"^\| human \| .* \| 7 \|$", body, re.M)
    assert "curation 0.1.0" in body and "| confidence | float32 |" in body


def test_rows_without_a_usable_label_are_skipped_and_counted(
        tmp_path: Path, make_rows: Callable[[Any], Rows],
        write_shards: Callable[[Path, Rows], Path], sites: dict[str, Any]) -> None:
    rows = make_rows(sites)
    rows[0]["label"] = None
    rows[1]["label"] = "navigation"
    stats = Stats()
    summary = publish_dataset(write_shards(tmp_path / "in", rows), tmp_path / "out", CFG, stats)
    assert summary["rows"] == len(rows) - 2
    assert summary["skipped"] == {"no_label": 1, "unknown_label": 1}
    assert stats.get("publish", "skipped:unknown_label") == 1
    assert {s["reason"] for s in stats.skipped} == {"no_label", "unknown_label"}
    assert sum(p.num_rows for p in load(tmp_path / "out", tmp_path).values()) == len(rows) - 2


def test_existing_output_needs_overwrite(segments_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "dataset"
    out.mkdir()
    (out / "keep.txt").write_text("old")
    # a folder curation did not make (no _SUCCESS marker) is never replaced, even on overwrite
    with pytest.raises(OutputExistsError, match="not written by curation"):
        publish_dataset(segments_dir, out, CFG, Stats(), overwrite=True)
    assert (out / "keep.txt").read_text() == "old"
    (out / "_SUCCESS").write_text("{}")  # one of ours: replaced on overwrite only
    with pytest.raises(OutputExistsError, match="--overwrite"):
        publish_dataset(segments_dir, out, CFG, Stats())
    publish_dataset(segments_dir, out, CFG, Stats(), overwrite=True)
    assert not (out / "keep.txt").exists() and is_complete(out)


def corrupt_text_column(shard: Path) -> None:
    """Overwrite the `text` column chunk: pass 1 (other columns) reads, pass 2 fails."""
    meta = pq.ParquetFile(shard).metadata
    col = meta.row_group(0).column(meta.schema.to_arrow_schema().get_field_index("text"))
    start = col.dictionary_page_offset or col.data_page_offset
    data = bytearray(shard.read_bytes())
    data[start:start + col.total_compressed_size] = b"\xff" * col.total_compressed_size
    shard.write_bytes(bytes(data))


def test_failure_mid_write_leaves_no_dataset(segments_dir: Path, tmp_path: Path) -> None:
    corrupt_text_column(sorted(segments_dir.glob("*.parquet"))[-1])
    out = tmp_path / "dataset"
    with pytest.raises(OSError):
        publish_dataset(segments_dir, out, CFG, Stats())
    assert not out.exists()
    assert not list(tmp_path.glob(".dataset*"))  # no temporary left behind
    # an existing dataset survives a failed overwrite untouched
    out.mkdir()
    (out / "README.md").write_text("old card")
    (out / "_SUCCESS").write_text("{}")
    with pytest.raises(OSError):
        publish_dataset(segments_dir, out, CFG, Stats(), overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "_SUCCESS"]
    assert (out / "README.md").read_text() == "old card"


def test_bad_setup_fails_with_the_fix(tmp_path: Path, make_rows: Callable[[Any], Rows],
                                      write_shards: Callable[[Path, Rows], Path]) -> None:
    with pytest.raises(InputError, match="not a folder"):
        publish_dataset(tmp_path / "missing", tmp_path / "out", CFG, Stats())
    rows = make_rows({"p": ("a.com", "en", 3)})
    for r in rows:
        r["label"] = None
    with pytest.raises(InputError, match="nothing to publish"):
        publish_dataset(write_shards(tmp_path / "in", rows), tmp_path / "out", CFG, Stats())
    assert not (tmp_path / "out").exists()


def test_few_sites_and_custom_labels(tmp_path: Path, make_rows: Callable[[Any], Rows],
                                     write_shards: Callable[[Path, Rows], Path]) -> None:
    rows = make_rows({"p1": ("a.com", "en", 7), "p2": ("b.com", "en", 7)})
    # a list of built-in labels in the user's order (own names take the mapping form)
    cfg = RunConfig.model_validate({"labels": ["other", "article", "caption", "ad", "comment_ui",
                                               "joke", "teaser"],
                                    "publish": {"shard_rows": 3}})
    summary = publish_dataset(write_shards(tmp_path / "in", rows), tmp_path / "out", cfg, Stats())
    ds = load(tmp_path / "out", tmp_path)
    assert len(ds) == 2 == len(summary["splits"])  # two sites: two splits, none empty
    assert ds["train"].features["label"].names == cfg.labels
    # 7 rows per split, 3 per shard: shards of 3, 3, 1 named -0000i-of-00003
    for split in ds:
        shards = sorted((tmp_path / "out" / "data").glob(f"{split}-*.parquet"))
        assert [s.name for s in shards] == [f"{split}-{i:05d}-of-00003.parquet" for i in range(3)]
        assert [pq.read_metadata(s).num_rows for s in shards] == [3, 3, 1]
