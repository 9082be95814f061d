"""Big WARC, Parquet and saved HF dataset inputs are cut into record ranges (issue 9 item 3):
one huge input becomes several shards that both workers run, giving the dataset of one shard
row for row (the same pages, sources, counts and skips), and a rerun after a crash redoes only
the unfinished ranges."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import curation.run.shards as shards
from curation.config import load_config
from curation.pipeline import run
from curation.process import process_batch
from curation.run.driver import run_sharded

DATE = "2024-05-01T12:00:00Z"


def warc_record(kind: str, url: str, payload: bytes, length_delta: int = 0) -> bytes:
    """One WARC/1.0 record (a response carries an HTML HTTP response); *length_delta* makes
    its Content-Length lie."""
    if kind == "response":
        block = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                 + f"Content-Length: {len(payload)}\r\n\r\n".encode() + payload)
        btype = "application/http; msgtype=response"
    else:
        block, btype = payload, "application/warc-fields"
    head = (f"WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Record-ID: <urn:uuid:{url}-{kind}>\r\n"
            f"WARC-Date: {DATE}\r\nWARC-Target-URI: {url}\r\nContent-Type: {btype}\r\n"
            f"Content-Length: {len(block) + length_delta}\r\n\r\n").encode()
    return head + block + b"\r\n\r\n"


def write_warc(path: Path, kit: Any, pages: int, gzipped: bool) -> None:
    """*pages* HTML responses with metadata records between them, and one damaged record."""
    records = []
    for i in range(pages):
        url = f"https://site{i % 7}.example/p{i}"
        records.append(warc_record("response", url, kit.page_html(i).encode(),
                                   length_delta=25 if i == pages // 2 else 0))
        if i % 5 == 0:
            records.append(warc_record("metadata", url, b"fetchTimeMs: 12\r\n"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(gzip.compress(r) if gzipped else r for r in records))


def _same(a: Path, b: Path, kit: Any) -> None:
    for stage in ("pages", "segments", "filtered"):
        assert pq.read_table(a / stage).equals(pq.read_table(b / stage)), stage
    da, db = kit.dataset_rows(a), kit.dataset_rows(b)
    assert da.keys() == db.keys() and da
    for split in da:
        assert da[split].equals(db[split]), split


def _workers_used(out: Path) -> int:
    return len({json.loads(p.read_text())["timing"]["pid"]
                for p in (out / "_shards").glob("*/_entry.json")})


def _whole_and_cut(tmp_path: Path, kit: Any, big: Path, monkeypatch: Any
                   ) -> tuple[dict[str, Any], dict[str, Any]]:
    whole = run(load_config(kit.write_config(tmp_path / "a.yaml", [str(big)], tmp_path / "a")))
    assert whole["shards"]["total"] == 1
    monkeypatch.setattr(shards, "SHARD_BYTES", big.stat().st_size // 6)
    cut = run(load_config(kit.write_config(tmp_path / "b.yaml", [str(big)], tmp_path / "b",
                                           workers=2)))
    assert cut["shards"]["total"] >= 4
    _same(tmp_path / "a", tmp_path / "b", kit)
    assert cut["counts"]["ingest"] == whole["counts"]["ingest"]
    assert sorted((s["reason"], s["source"]) for s in cut["skipped"]) == sorted(
        (s["reason"], s["source"]) for s in whole["skipped"])
    assert _workers_used(tmp_path / "b") == 2
    return whole, cut


@pytest.mark.parametrize("gzipped", [True, False], ids=["per_record_gzip", "plain"])
def test_a_big_warc_file_is_cut_at_record_starts(tmp_path: Path, kit: Any, monkeypatch: Any,
                                                 gzipped: bool) -> None:
    big = tmp_path / "in" / ("crawl.warc.gz" if gzipped else "crawl.warc")
    write_warc(big, kit, 90, gzipped)
    whole, _ = _whole_and_cut(tmp_path, kit, big, monkeypatch)
    counts = whole["counts"]["ingest"]
    assert counts["warc_records:response"] + counts["warc_records:metadata"] >= 100
    assert [s["reason"] for s in whole["skipped"]] == ["damaged_warc"]


def test_a_warc_file_gzipped_whole_stays_one_shard(tmp_path: Path, kit: Any,
                                                   monkeypatch: Any) -> None:
    big = tmp_path / "in" / "crawl.warc.gz"
    write_warc(big, kit, 30, gzipped=False)
    big.write_bytes(gzip.compress(big.read_bytes()))
    monkeypatch.setattr(shards, "SHARD_BYTES", big.stat().st_size // 6)
    stats = run(load_config(kit.write_config(tmp_path / "c.yaml", [str(big)], tmp_path / "o")))
    # read as before: the pages up to the damaged record (a gzip over the file cannot resync)
    assert stats["shards"]["total"] == 1 and stats["counts"]["ingest"]["kept"] == 15


def test_a_big_parquet_file_is_cut_at_row_groups(tmp_path: Path, kit: Any,
                                                 monkeypatch: Any) -> None:
    rows = [{"id": f"q{i}", "html": kit.page_html(i), "url": f"https://site{i % 7}.example/q{i}"}
            for i in range(100)]
    rows[40]["html"] = ""  # a row without text: a counted skip, in whichever shard holds it
    big = tmp_path / "in" / "pages.parquet"
    big.parent.mkdir()
    pq.write_table(pa.Table.from_pylist(rows), big, row_group_size=8)
    whole, _ = _whole_and_cut(tmp_path, kit, big, monkeypatch)
    sources = pq.read_table(tmp_path / "b" / "pages", columns=["source"])["source"].to_pylist()
    assert sources[:2] == [f"{big}:0", f"{big}:1"] and f"{big}:99" in sources
    assert any(s["source"] == f"{big}:40" for s in whole["skipped"])


def test_a_big_saved_dataset_is_cut_at_rows_across_its_splits(tmp_path: Path, kit: Any,
                                                                monkeypatch: Any) -> None:
    import datasets

    def split(name: str, n: int) -> datasets.Dataset:
        rows = [{"id": f"{name}{i}", "html": kit.page_html(i),
                 "url": f"https://site{i % 7}.example/{name}{i}"} for i in range(n)]
        return datasets.Dataset.from_list(rows)

    train, test = split("tr", 70), split("te", 30)
    train = train.map(lambda r, i: {"html": "" if i == 50 else r["html"]}, with_indices=True)
    big = tmp_path / "in" / "saved"
    datasets.DatasetDict({"train": train, "test": test}).save_to_disk(str(big))
    whole, _ = _whole_and_cut(tmp_path, kit, big, monkeypatch)
    sources = pq.read_table(tmp_path / "b" / "pages", columns=["source"])["source"].to_pylist()
    # splits in name order, rows numbered within their split, a range may span both splits
    assert sources[0] == f"{big}[test]:0" and sources[30] == f"{big}[train]:0"
    assert f"{big}[train]:69" in sources and len(sources) == 99
    assert any(s["source"] == f"{big}[train]:50" for s in whole["skipped"])


class Crash(BaseException):
    """Stands for a kill: not an error any handler catches."""


def test_a_rerun_after_a_crash_redoes_only_the_unfinished_ranges(tmp_path: Path, kit: Any,
                                                                 monkeypatch: Any) -> None:
    big = tmp_path / "in" / "crawl.warc.gz"
    write_warc(big, kit, 90, gzipped=True)
    run(load_config(kit.write_config(tmp_path / "a.yaml", [str(big)], tmp_path / "a")))
    monkeypatch.setattr(shards, "SHARD_BYTES", big.stat().st_size // 6)
    cfg = load_config(kit.write_config(tmp_path / "b.yaml", [str(big)], tmp_path / "b"))
    batches = 0

    def crashing_step(batch: pa.RecordBatch, c: Any) -> Any:
        nonlocal batches
        batches += 1
        if batches == 7:
            raise Crash
        return process_batch(batch, c)

    with pytest.raises(Crash):
        run_sharded(cfg, tmp_path / "b", crashing_step)
    finished = kit.committed_shards(tmp_path / "b")
    assert finished >= 1
    stats = run(cfg, resume=True)
    assert stats["shards"]["reused"] == finished
    assert stats["shards"]["run"] == stats["shards"]["total"] - finished >= 1
    _same(tmp_path / "a", tmp_path / "b", kit)


def test_a_big_remote_warc_file_is_cut_too(tmp_path: Path, kit: Any, monkeypatch: Any) -> None:
    import fsspec

    local = tmp_path / "in" / "crawl.warc.gz"
    write_warc(local, kit, 60, gzipped=True)
    url = "memory://crawl-ranges/crawl.warc.gz"
    with fsspec.open(url, "wb") as fh:
        fh.write(local.read_bytes())
    monkeypatch.setattr(shards, "SHARD_BYTES", local.stat().st_size // 4)
    remote = run(load_config(kit.write_config(tmp_path / "r.yaml", [url], tmp_path / "r")))
    here = run(load_config(kit.write_config(tmp_path / "l.yaml", [str(local)], tmp_path / "l")))
    assert remote["shards"]["total"] == here["shards"]["total"] >= 3
    a, b = pq.read_table(tmp_path / "r" / "pages"), pq.read_table(tmp_path / "l" / "pages")
    assert a.drop_columns(["source"]).equals(b.drop_columns(["source"]))
    assert [s.rsplit("@", 1)[1] for s in a["source"].to_pylist()] == [
        s.rsplit("@", 1)[1] for s in b["source"].to_pylist()]
    fsspec.filesystem("memory").rm("/crawl-ranges", recursive=True)
