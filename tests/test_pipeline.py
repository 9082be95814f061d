"""The whole pipeline as a user runs it: outputs, stats, bad input, reruns, atomicity."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import datasets
import pyarrow.parquet as pq
import pytest
import yaml

from curation.config import load_config
from curation.errors import ConfigError, OutputExistsError
from curation.pipeline import run
from curation.resolve import resolve
from curation.schema import PAGE_SCHEMA, SEGMENT_SCHEMA

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "curation" / "samples"


def _config(tmp: Path, inputs: list[str], **extra: object) -> Path:
    # the pipeline's mechanics, on the rules alone (a 50,000-line page among the inputs); the
    # packaged cleaner's vote in a default run: tests/test_model_by_default.py
    data = {
        "input": {"paths": inputs},
        "output": str(tmp / "out"),
        "prelabel": {"cues_dir": "builtin:cues", "model": None},
        **extra,
    }
    path = tmp / "run.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _bad_inputs(folder: Path) -> None:
    folder.mkdir()
    (folder / "empty.txt").write_text("   \n\n", encoding="utf-8")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02PNG\x00" * 100)
    (folder / "nobody.html").write_text("<html><head><title>t</title></head></html>")
    (folder / "cp1251.txt").write_bytes("Новини от България днес\nВтори ред".encode("cp1251"))
    with gzip.open(folder / "pages.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write(
            json.dumps(
                {
                    "id": "good1",
                    "url": "https://a.example/x",
                    "text": "A good line of text.\nAnother one here.",
                }
            )
            + "\n"
        )
        fh.write("{not json\n")
        fh.write(
            json.dumps(
                {
                    "id": "good2",
                    "url": "https://b.example/y",
                    "html": "<p>Hello there, this is a page.</p>",
                }
            )
            + "\n"
        )
    (folder / "long.txt").write_text("\n".join(f"line {i}" for i in range(50_000)))


def test_run_on_samples_and_bad_input(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    _bad_inputs(bad)
    cfg = load_config(_config(tmp_path, [str(SAMPLES), str(bad)]))
    stats = run(cfg)
    out = tmp_path / "out"

    reasons = {(s["reason"], Path(s["source"].split(":")[0]).name) for s in stats["skipped"]}
    assert {
        ("empty", "empty.txt"),
        ("binary", "binary.txt"),
        ("no_text", "nobody.html"),
        ("bad_json", "pages.jsonl.gz"),
    } <= reasons
    written = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    assert written["skipped"] == stats["skipped"]

    pages = pq.read_table(out / "pages")
    assert pages.schema.equals(PAGE_SCHEMA, check_metadata=False)
    ids = set(pages.column("page_id").to_pylist())
    assert {"good1", "good2"} <= ids  # the good records around the bad line are kept
    assert len(ids) == 5 + 4  # samples + cp1251, long, good1, good2
    langs = dict(
        zip(pages.column("source").to_pylist(), pages.column("lang").to_pylist(), strict=True)
    )
    assert any(k.endswith("cp1251.txt") and v == "bg" for k, v in langs.items())

    segs = pq.read_table(out / "segments")
    assert segs.schema.equals(SEGMENT_SCHEMA, check_metadata=False)
    long_id = next(p["page_id"] for p in pages.to_pylist() if p["source"].endswith("long.txt"))
    assert segs.column("page_id").to_pylist().count(long_id) == 50_000
    assert all(v for v in segs.column("votes").to_pylist()[:100])

    ds = datasets.load_dataset(str(out / "dataset"))
    assert set(ds) <= {"train", "validation", "test"} and len(ds) >= 2
    assert isinstance(ds["train"].features["label"], datasets.ClassLabel)
    assert sum(d.num_rows for d in ds.values()) == written["summary"]["kept"]
    assert (out / "run_config.yaml").is_file()


def test_rerun_needs_overwrite_or_resume(tmp_path: Path) -> None:
    cfg = load_config(_config(tmp_path, [str(SAMPLES)]))
    first = run(cfg)
    with pytest.raises(OutputExistsError, match="--overwrite"):
        run(cfg)
    again = run(cfg, resume=True)  # keeps finished stages, redoes filter + publish
    assert again["summary"]["segments"] == first["summary"]["segments"]
    assert again["counts"]["ingest"] == first["counts"]["ingest"]
    redo = run(cfg, overwrite=True)
    assert redo["summary"] == first["summary"]


def test_a_crash_leaves_no_dataset_that_looks_whole(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    cfg = load_config(_config(tmp_path, [str(SAMPLES)]))
    run(cfg)
    before = sorted(p.name for p in (tmp_path / "out" / "dataset" / "data").iterdir())

    import curation.publish.hf as hf

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(hf, "render_card", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        run(cfg, overwrite=True)
    # the finished dataset from before is untouched and no temporary folder looks like one
    assert sorted(p.name for p in (tmp_path / "out" / "dataset" / "data").iterdir()) == before
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".dataset")]


def test_bad_config_fails_before_any_work(tmp_path: Path) -> None:
    path = _config(tmp_path, [str(SAMPLES)], filter={"filters": [{"name": "min_chars.v9"}]})
    with pytest.raises(ConfigError, match="min_chars.v1"):
        resolve(load_config(path))
    with pytest.raises(ConfigError, match="min_chars.v1"):  # run resolves before reading
        run(load_config(path))
    path.write_text("input: {pathz: [x]}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="input.pathz: unknown key"):
        load_config(path)
    for prelabel, valid in (("{rules: [article.long_paragraph.v7]}", "article.long_paragraph.v1"),
                            ("{weights: {ad.sponsord.v1: 2}}", "ad.attr_hint.v3"),
                            ("{calibration: nope.yaml}", "calibration file .*nope.yaml"),
                            ("{model: nope.joblib}", "model file .*nope.joblib")):
        path.write_text(f"prelabel: {prelabel}\noutput: {tmp_path / 'out'}\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=valid):
            run(load_config(path))
    assert not (tmp_path / "out").exists()


def test_process_pool_gives_the_same_result(tmp_path: Path) -> None:
    one = tmp_path / "one"
    two = tmp_path / "two"
    one.mkdir()
    two.mkdir()
    run(load_config(_config(one, [str(SAMPLES)])))
    run(load_config(_config(two, [str(SAMPLES)], workers=2, batch_pages=2)))
    a = pq.read_table(one / "out" / "segments").sort_by("segment_id")
    b = pq.read_table(two / "out" / "segments").sort_by("segment_id")
    assert a.select(["segment_id", "prelabel", "votes"]).equals(
        b.select(["segment_id", "prelabel", "votes"])
    )


def test_default_config_is_valid(repo_root: Path) -> None:
    cfg = load_config(repo_root / "configs" / "default.yaml")
    assert cfg.labels == ["article", "caption", "ad", "comment_ui", "joke", "teaser", "other"]
    assert cfg.input.paths == ["builtin:samples"]
    shutil.rmtree(repo_root / "configs" / "__pycache__", ignore_errors=True)


def test_stages_one_by_one_match_run(tmp_path: Path) -> None:
    from curation.pipeline import filter_stage, ingest_stage, prelabel_stage, segment_stage
    from curation.publish import publish_dataset
    from curation.stats import Stats

    whole, steps = tmp_path / "whole", tmp_path / "steps"
    whole.mkdir()
    steps.mkdir()
    run(load_config(_config(whole, [str(SAMPLES)])))
    cfg = load_config(_config(steps, [str(SAMPLES)]))
    stats = Stats()
    assert ingest_stage(cfg, stats) == 5
    n = segment_stage(cfg, stats)
    assert prelabel_stage(cfg, stats) == n
    kept = filter_stage(cfg, stats)
    publish_dataset(steps / "out" / "filtered", steps / "out" / "dataset", cfg, stats)
    a = pq.read_table(whole / "out" / "segments").sort_by("segment_id")
    b = pq.read_table(steps / "out" / "segments").sort_by("segment_id")
    assert a.select(["segment_id", "text", "prelabel", "lang"]).equals(
        b.select(["segment_id", "text", "prelabel", "lang"]))
    assert kept["kept"] == pq.read_table(whole / "out" / "filtered").num_rows
