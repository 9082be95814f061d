"""Url outputs through fsspec (issue 9 item 2): a run to file:// or to a non-local store
(memory://) writes the dataset there; a crash or kill -9 leaves nothing on the store that looks
whole, and a rerun takes the finished shards back from the store, even without the staging
folder, giving the same rows."""

from __future__ import annotations

import json
import os
import shutil
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curation.config import dump_config, load_config
from curation.errors import OutputExistsError
from curation.pipeline import run
from curation.process import process_batch
from curation.run.driver import run_sharded


@pytest.fixture()
def memory_url() -> Iterator[str]:
    url = f"memory://store-{uuid.uuid4().hex[:8]}/out"
    yield url
    fs = fsspec.filesystem("memory")
    if fs.exists(url):
        fs.rm(url, recursive=True)


def _store_rows(url: str) -> dict[str, pa.Table]:
    """Each split of the dataset on the store, read back with pyarrow through fsspec."""
    fs, root = fsspec.core.url_to_fs(url)
    splits: dict[str, list[pa.Table]] = {}
    for path in sorted(fs.glob(f"{root}/dataset/data/*.parquet")):
        with fs.open(path, "rb") as fh:
            splits.setdefault(path.rsplit("/", 1)[-1].split("-")[0], []).append(pq.read_table(fh))
    return {s: pa.concat_tables(t) for s, t in splits.items()}


def _same_rows(a: dict[str, pa.Table], b: dict[str, pa.Table]) -> None:
    assert a.keys() == b.keys() and a
    for split in a:
        assert a[split].equals(b[split]), split


def _reference(tmp_path: Path, kit: Any, inputs: list[str]) -> dict[str, pa.Table]:
    ref = tmp_path / "ref"
    run(load_config(kit.write_config(tmp_path / "ref.yaml", inputs, ref)))
    return dict(kit.dataset_rows(ref))


def test_a_run_to_a_file_url_publishes_a_loadable_dataset(tmp_path: Path, kit: Any) -> None:
    import datasets

    kit.write_pages(tmp_path / "in", range(40))
    inputs = [str(tmp_path / "in")]
    ref = _reference(tmp_path, kit, inputs)
    dest = tmp_path / "dest"
    cfg = kit.write_config(tmp_path / "c.yaml", inputs, f"file://{dest}",
                           staging=str(tmp_path / "stage"))
    stats = run(load_config(cfg))
    _same_rows(ref, kit.dataset_rows(dest))
    assert (dest / "dataset" / "_SUCCESS").is_file() and (dest / ".curation-output").is_file()
    assert json.loads((dest / "stats.json").read_text())["summary"] == stats["summary"]
    entries = list((dest / "_shards").glob("*/_entry.json"))
    assert len(entries) == stats["shards"]["total"]
    assert not list(dest.glob(".*.tmp-*"))
    loaded = datasets.load_dataset(str(dest / "dataset"))
    assert {s: loaded[s].num_rows for s in loaded} == {s: t.num_rows for s, t in ref.items()}


def test_a_run_to_a_memory_store_then_a_rerun_copies_nothing_again(
        tmp_path: Path, kit: Any, memory_url: str) -> None:
    kit.write_pages(tmp_path / "in", range(40))
    inputs = [str(tmp_path / "in")]
    ref = _reference(tmp_path, kit, inputs)
    cfg_path = kit.write_config(tmp_path / "c.yaml", inputs, memory_url,
                                staging=str(tmp_path / "stage"),
                                storage_options={"skip_instance_cache": False})
    run(load_config(cfg_path))
    _same_rows(ref, _store_rows(memory_url))
    fs, root = fsspec.core.url_to_fs(memory_url)
    card = fs.cat_file(f"{root}/dataset/README.md").decode()
    assert "train" in card
    marker = fs.info(f"{root}/dataset/_SUCCESS")
    stats = run(load_config(cfg_path), resume=True)
    assert stats["shards"]["run"] == 0
    assert fs.info(f"{root}/dataset/_SUCCESS") == marker  # the same commit, not copied again
    with pytest.raises(OutputExistsError, match="--overwrite"):
        run(load_config(cfg_path))  # the store holds an earlier run's outputs
    # a stricter filter: filter and publish run again, and the store gets their new folders
    stricter = kit.write_config(tmp_path / "c.yaml", inputs, memory_url,
                                staging=str(tmp_path / "stage"),
                                filter={"filters": [{"name": "min_chars.v1",
                                                     "params": {"n": 40}}]})
    stats = run(load_config(stricter), resume=True)
    assert stats["shards"]["run"] == 0
    fewer = _store_rows(memory_url)
    assert sum(t.num_rows for t in fewer.values()) == stats["summary"]["kept"]
    assert stats["summary"]["kept"] < sum(t.num_rows for t in ref.values())
    _same_rows(kit.dataset_rows(tmp_path / "stage"), fewer)


class Crash(BaseException):
    """Stands for a kill: not an error any handler catches."""


def test_a_crash_leaves_nothing_whole_on_the_store_and_a_rerun_resumes_from_it(
        tmp_path: Path, kit: Any, memory_url: str) -> None:
    kit.write_pages(tmp_path / "in", range(60))
    inputs = [str(tmp_path / "in")]
    ref = _reference(tmp_path, kit, inputs)
    stage = tmp_path / "stage"
    cfg = load_config(kit.write_config(tmp_path / "c.yaml", inputs, memory_url,
                                       staging=str(stage)))
    batches = 0

    def crashing_step(batch: pa.RecordBatch, c: Any) -> Any:
        nonlocal batches
        batches += 1
        if batches == 6:
            raise Crash
        return process_batch(batch, c)

    with pytest.raises(Crash):
        run_sharded(cfg, stage, crashing_step)
    fs, root = fsspec.core.url_to_fs(memory_url)
    committed = fs.glob(f"{root}/_shards/*/_entry.json")
    assert committed
    for entry_path in committed:  # a shard with its entry has every file it names
        entry = json.loads(fs.cat_file(entry_path))
        folder = entry_path.rsplit("/", 1)[0]
        for names in entry["files"].values():
            assert all(fs.exists(f"{folder}/{n}") for n in names)
    assert not fs.exists(f"{root}/dataset") and not fs.exists(f"{root}/stats.json")
    shutil.rmtree(stage)  # the staging folder is gone: the store is all that is left
    stats = run(load_config(kit.write_config(tmp_path / "c.yaml", inputs, memory_url,
                                             staging=str(stage))), resume=True)
    assert stats["shards"]["reused"] == len(committed)
    _same_rows(ref, _store_rows(memory_url))


def test_kill_9_of_a_run_to_a_file_url_then_resume_without_staging(tmp_path: Path,
                                                                  kit: Any) -> None:
    kit.write_pages(tmp_path / "in", range(240))
    inputs = [str(tmp_path / "in")]
    ref = _reference(tmp_path, kit, inputs)
    dest, stage = tmp_path / "dest", tmp_path / "stage"
    cfg = kit.write_config(tmp_path / "c.yaml", inputs, f"file://{dest}", staging=str(stage),
                           workers=2)
    proc = kit.start_cli("run", str(cfg))
    kit.wait_for(lambda: kit.committed_shards(dest) >= 8 or proc.poll() is not None,
                 what="shards on the store")
    assert proc.poll() is None, "the run ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    on_store = kit.committed_shards(dest)
    assert not (dest / "stats.json").exists() and not (dest / "dataset").exists()
    shutil.rmtree(stage)
    stats = run(load_config(cfg), resume=True)
    assert stats["shards"]["reused"] >= on_store
    _same_rows(ref, kit.dataset_rows(dest))


def test_a_store_folder_with_foreign_files_is_refused(tmp_path: Path, kit: Any,
                                                      memory_url: str) -> None:
    fs, root = fsspec.core.url_to_fs(memory_url)
    fs.pipe_file(f"{root}/notes.txt", b"mine")
    kit.write_pages(tmp_path / "in", range(5))
    cfg = kit.write_config(tmp_path / "c.yaml", [str(tmp_path / "in")], memory_url,
                           staging=str(tmp_path / "stage"))
    with pytest.raises(OutputExistsError, match="did not write"):
        run(load_config(cfg))
    assert fs.cat_file(f"{root}/notes.txt") == b"mine"


def test_storage_credentials_are_masked_in_the_written_config(tmp_path: Path, kit: Any) -> None:
    cfg = load_config(kit.write_config(
        tmp_path / "c.yaml", ["x"], "s3://bucket/out",
        storage_options={"key": "AKIA123", "secret": "s3cr3t", "endpoint_url": "http://h:9000"}))
    text = dump_config(cfg)
    assert "AKIA123" not in text and "s3cr3t" not in text and "http://h:9000" in text
    assert cfg.resolve(cfg.output) == cfg.staging_dir()
    assert cfg.staging_dir() != load_config(kit.write_config(
        tmp_path / "d.yaml", ["x"], "s3://bucket/other")).staging_dir()


def test_standalone_filter_and_publish_copy_their_folders_to_the_store(
        tmp_path: Path, kit: Any, memory_url: str) -> None:
    from curation.pipeline import filter_stage, publish_stage
    from curation.stats import Stats

    kit.write_pages(tmp_path / "in", range(30))
    inputs = [str(tmp_path / "in")]
    cfg_path = kit.write_config(tmp_path / "c.yaml", inputs, memory_url,
                                staging=str(tmp_path / "stage"))
    run(load_config(cfg_path))
    fs, root = fsspec.core.url_to_fs(memory_url)
    before = fs.cat_file(f"{root}/dataset/_SUCCESS")
    # a stricter filter, then the publish, each on its own
    cfg = load_config(kit.write_config(
        tmp_path / "c.yaml", inputs, memory_url, staging=str(tmp_path / "stage"),
        filter={"filters": [{"name": "min_chars.v1", "params": {"n": 40}}]}))
    kept = filter_stage(cfg, Stats(), overwrite=True)
    on_store = 0
    for path in fs.glob(f"{root}/filtered/*.parquet"):
        with fs.open(path, "rb") as fh:
            on_store += pq.read_metadata(fh).num_rows
    assert on_store == kept["kept"] and kept["rejected"] > 0
    publish_stage(cfg, Stats(), overwrite=True)
    assert fs.cat_file(f"{root}/dataset/_SUCCESS") != before
    rows = sum(t.num_rows for t in _store_rows(memory_url).values())
    assert rows == kept["kept"]


def test_a_run_to_an_url_another_machine_holds_fails_and_writes_nothing(
        tmp_path: Path, kit: Any) -> None:
    import time

    from typer.testing import CliRunner

    from curation.cli import app
    from curation.io.lease import LEASE

    kit.write_pages(tmp_path / "in", range(20))
    dest = tmp_path / "dest"
    cfg_path = kit.write_config(tmp_path / "c.yaml", [str(tmp_path / "in")], f"file://{dest}",
                                staging=str(tmp_path / "stage"))
    assert CliRunner().invoke(app, ["run", str(cfg_path)]).exit_code == 0
    assert not (dest / LEASE).exists()  # given back at the end
    files = {p: p.stat().st_mtime_ns for p in dest.rglob("*")}
    other = {"run": "e" * 32, "host": "worker-7", "pid": 4242, "command": "curation run",
             "renewed": time.time()}
    (dest / LEASE).write_text(json.dumps(other))
    res = CliRunner().invoke(app, ["run", str(cfg_path), "--overwrite"])
    assert res.exit_code != 0
    assert "in use by run eeee" in res.output and "worker-7" in res.output
    assert {p: p.stat().st_mtime_ns for p in dest.rglob("*") if p.name != LEASE} == files
    other["renewed"] = time.time() - 3600  # that run died an hour ago: taken over
    (dest / LEASE).write_text(json.dumps(other))
    assert CliRunner().invoke(app, ["run", str(cfg_path), "--overwrite"]).exit_code == 0
    assert not (dest / LEASE).exists()
