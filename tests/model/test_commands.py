"""`curation train`, `curation clean` and `curation evaluate --model/--cv` through typer."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from curation.cli import app as model_app
from curation.taxonomy import MODEL_VOTER


def _evaluate(args: list[str]) -> Result:
    from curation.cli import app

    return CliRunner().invoke(app, ["evaluate", *args])


def test_train_writes_a_model_file(synthetic_gold: Path, tmp_path: Path):
    out = tmp_path / "m.model"
    res = CliRunner().invoke(model_app, ["train", "--gold", str(synthetic_gold), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert out.is_file() and "targets" in res.output
    res = CliRunner().invoke(model_app, ["train", "--out", str(out)])
    assert res.exit_code == 2 and "nothing to train on" in res.output


def test_train_anew_does_not_load_the_configs_model(synthetic_gold: Path, tmp_path: Path):
    """After a rule is renamed the packaged model no longer loads; the command that retrains
    it must not need it (nor any other model the config names)."""
    stale = tmp_path / "stale.model"
    stale.write_text("not a model", encoding="utf-8")
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"prelabel:\n  model: {stale}\n", encoding="utf-8")
    out = tmp_path / "m.model"
    res = CliRunner().invoke(model_app, ["train", "--gold", str(synthetic_gold), "--out", str(out),
                                         "-c", str(cfg)])
    assert res.exit_code == 0, res.output
    assert out.is_file()
    res = CliRunner().invoke(model_app, ["evaluate", "--gold", str(synthetic_gold), "-c", str(cfg)])
    assert res.exit_code == 2 and "not a curation model file" in res.output  # used: checked


def test_clean_writes_the_main_text(
    trained_model: Path, tmp_path: Path, make_page: Callable[..., dict[str, Any]]
) -> None:
    import random

    page = make_page("newsite.org", 0, random.Random(99))
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "page.html").write_text(page["html"], encoding="utf-8")
    out = tmp_path / "clean.jsonl"
    res = CliRunner().invoke(
        model_app, ["clean", str(tmp_path / "in"), "--model", str(trained_model), "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 1 and set(rows[0]) == {"page_id", "url", "text", "meta"}
    text, meta = rows[0]["text"], rows[0]["meta"]
    story = [seg["text"] for seg in page["segments"] if seg["label"] == "article"]
    for paragraph in story[1:]:  # after the headline: the body
        assert paragraph in text
    assert story[0] in text or story[0] in meta  # the headline: body or meta, never dropped
    for seg in page["segments"]:
        if seg["label"] in ("other", "ad"):
            assert seg["text"] not in text and seg["text"] not in meta


def test_clean_refuses_a_bad_model_file(tmp_path: Path):
    bad = tmp_path / "bad.model"
    bad.write_text("x", encoding="utf-8")
    res = CliRunner().invoke(
        model_app, ["clean", "builtin:samples", "--model", str(bad), "--out", str(tmp_path / "o")]
    )
    assert res.exit_code == 2 and "not a curation model file" in res.output
    assert not (tmp_path / "o").exists()


def test_evaluate_with_a_model_and_with_cv(synthetic_gold: Path, trained_model: Path):
    res = _evaluate(["--gold", str(synthetic_gold), "--model", str(trained_model), "--json",
                     "--mode", "all"])
    assert res.exit_code == 0, res.output
    got = json.loads(res.stdout)
    assert set(got["modes"]) == {"rules", "model", "combined"}
    assert got["modes"]["model"]["labels"]["article"]["token_f1"] > 0.9
    res = _evaluate(["--gold", str(synthetic_gold), "--model", str(trained_model), "--mode", "all"])
    assert res.exit_code == 0, res.output  # one table per mode
    assert all(f"mode: {m}" in res.stdout for m in ("rules", "model", "combined"))
    res = _evaluate(["--gold", str(synthetic_gold), "--cv", "3", "--json"])
    assert res.exit_code == 0, res.output
    got = json.loads(res.stdout)
    assert got["pages"] == 18 and got["cv"]["folds"] == 3
    # held-out sites share the page layout: the story is found on unseen sites too
    assert got["labels"]["article"]["token_f1"] > 0.9
    res = _evaluate(["--gold", str(synthetic_gold), "--cv", "30"])
    assert res.exit_code == 2 and "at least 30 sites" in res.output


def test_prelabel_with_a_model_adds_its_vote(trained_model: Path, tmp_path: Path):
    from curation.cli import app
    from curation.io.parquet import iter_batches
    from curation.schema import SEGMENT_SCHEMA

    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"output: {tmp_path / 'out'}\n", encoding="utf-8")
    runner = CliRunner()
    for cmd in (["ingest", str(cfg)], ["segment", str(cfg)]):
        res = runner.invoke(app, cmd)
        assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["prelabel", str(cfg), "--model", str(trained_model)])
    assert res.exit_code == 0, res.output
    rows = [r for b in iter_batches(tmp_path / "out" / "segments", SEGMENT_SCHEMA)
            for r in b.to_pylist()]
    assert rows and all(any(v["rule"] == MODEL_VOTER for v in r["votes"]) for r in rows)
    assert {r["label_source"] for r in rows} == {MODEL_VOTER}
    # the filter stage keeps saying so where only the model's vote backs the label
    res = runner.invoke(app, ["filter", str(cfg)])
    assert res.exit_code == 0, res.output
    kept = [r for b in iter_batches(tmp_path / "out" / "filtered", SEGMENT_SCHEMA)
            for r in b.to_pylist()]

    def model_only(r: dict[str, Any]) -> bool:
        backers = {v["rule"] for v in r["votes"] if v["label"] == r["prelabel"]}
        return backers == {MODEL_VOTER}
    assert any(model_only(r) for r in kept)
    assert all((r["label_source"] == MODEL_VOTER) == model_only(r) for r in kept)
