"""The packaged trained cleaner votes by default (`prelabel`, `run`, `clean`, the API); the rules
alone are one option away (`prelabel.model: null`, `--rules-only`); an install without the
packaged model, or a config it cannot serve, labels with the rules and says why; `curation
evaluate` without --model/--cv scores the rules alone."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

import curation
import curation.config
from curation.cli import app
from curation.config import PACKAGED_MODEL, load_config, rules_only
from curation.defaults import default_model_path
from curation.errors import ConfigError
from curation.pipeline import run
from curation.process import rules_labeller
from curation.resolve import resolve
from curation.taxonomy import MODEL_VOTER

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "curation" / "samples"
runner = CliRunner()


def test_the_package_ships_its_cleaner() -> None:
    # the tests below need it; a checkout without it is a broken install, not a skip
    assert default_model_path() is not None


def _pages(folder: Path) -> Path:
    """Two of the bundled sample pages (one English, one Bulgarian)."""
    folder.mkdir()
    for name in ("en_news_article.html", "bg_news_article.html"):
        shutil.copy(SAMPLES / name, folder / name)
    return folder


def _config(tmp: Path, name: str, **prelabel: Any) -> Path:
    path = tmp / f"{name}.yaml"
    data: dict[str, Any] = {"input": {"paths": [str(tmp / "in")]}, "output": str(tmp / name)}
    if prelabel:
        data["prelabel"] = prelabel
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _voters(out: Path) -> set[str]:
    votes = pq.read_table(out / "segments", columns=["votes"]).column("votes").to_pylist()
    return {v["rule"] for vs in votes for v in vs or []}


def test_the_default_config_names_the_packaged_cleaner(tmp_path: Path) -> None:
    pre = load_config(None).prelabel
    assert pre.model == PACKAGED_MODEL and pre.model_by_default and pre.no_model_note is None
    (tmp_path / "null.yaml").write_text("prelabel: {model: null}\n", encoding="utf-8")
    null = load_config(tmp_path / "null.yaml").prelabel
    assert null.model is None and not null.model_by_default and null.no_model_note is None
    assert rules_only(load_config(None)).prelabel.model is None
    assert resolve(rules_only(load_config(None))).model is None


def test_a_default_run_has_the_model_s_vote_and_rules_only_none(tmp_path: Path) -> None:
    _pages(tmp_path / "in")
    default = runner.invoke(app, ["run", str(_config(tmp_path, "default"))])
    assert default.exit_code == 0, default.output
    alone = runner.invoke(app, ["run", str(_config(tmp_path, "alone")), "--rules-only"])
    assert alone.exit_code == 0, alone.output
    null = runner.invoke(app, ["run", str(_config(tmp_path, "null", model=None))])
    assert null.exit_code == 0, null.output

    assert MODEL_VOTER in _voters(tmp_path / "default")
    votes = pq.read_table(tmp_path / "default" / "segments").column("votes").to_pylist()
    assert all(any(v["rule"] == MODEL_VOTER for v in vs) for vs in votes)  # every segment
    for name in ("alone", "null"):
        assert MODEL_VOTER not in _voters(tmp_path / name) and _voters(tmp_path / name), name
    assert pq.read_table(tmp_path / "alone" / "segments").equals(
        pq.read_table(tmp_path / "null" / "segments"))

    stats = json.loads((tmp_path / "default" / "stats.json").read_text(encoding="utf-8"))
    assert stats["model"] == {"file": str(default_model_path())}
    stats = json.loads((tmp_path / "alone" / "stats.json").read_text(encoding="utf-8"))
    assert stats["model"] == {"file": None}
    written = yaml.safe_load((tmp_path / "default" / "run_config.yaml").read_text("utf-8"))
    assert written["prelabel"]["model"] == PACKAGED_MODEL


def test_the_prelabel_stage_and_clean_take_rules_only(tmp_path: Path) -> None:
    _pages(tmp_path / "in")
    cfg = _config(tmp_path, "stages")
    for cmd in (["ingest"], ["segment"], ["prelabel", "--rules-only"]):
        res = runner.invoke(app, [*cmd, str(cfg)])
        assert res.exit_code == 0, res.output
    assert MODEL_VOTER not in _voters(tmp_path / "stages")
    res = runner.invoke(app, ["prelabel", str(cfg), "--overwrite"])
    assert res.exit_code == 0, res.output
    assert MODEL_VOTER in _voters(tmp_path / "stages")
    both = runner.invoke(app, ["prelabel", str(cfg), "--rules-only", "--model", "x.model"])
    assert both.exit_code == 2

    page = tmp_path / "in" / "en_news_article.html"
    html = page.read_text(encoding="utf-8")
    for flags, expected in (([], curation.clean(html)),
                            (["--rules-only"], curation.clean(html, config=rules_only(
                                load_config(None))))):
        out = tmp_path / f"clean{len(flags)}.jsonl"
        res = runner.invoke(app, ["clean", str(page), "--out", str(out), *flags])
        assert res.exit_code == 0, res.output
        got = json.loads(out.read_text(encoding="utf-8"))
        assert (got["text"], got["meta"]) == (expected.body, expected.meta), flags
    rules_alone = curation.clean(html, config=rules_only(load_config(None)))
    assert rules_alone != curation.clean(html)  # the two settings differ on this page


def test_without_a_packaged_model_the_rules_label_and_say_why(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(curation.config, "default_model_path", lambda: None)
    cfg = load_config(_config(tmp_path, "bare"))
    assert cfg.prelabel.model is None and cfg.prelabel.model_by_default
    _pages(tmp_path / "in")
    with caplog.at_level(logging.WARNING, logger="curation.resolve"):
        stats = run(cfg)
    note = stats["model"]["note"]
    assert stats["model"]["file"] is None and "ships no trained cleaner" in note
    assert any("ships no trained cleaner" in r.getMessage() for r in caplog.records)
    assert MODEL_VOTER not in _voters(tmp_path / "bare")


def test_the_packaged_cleaner_steps_aside_for_a_config_it_cannot_serve() -> None:
    narrow = load_config(None, labels=["article", "other"])
    res = resolve(narrow)
    assert res.model is None and res.model_note is not None
    assert "does not vote" in res.model_note and "not in the config's labels" in res.model_note
    labels = {s.label for s in curation.label_page("Advertisement\nSome text here.\n",
                                                   lang="en", config=narrow)}
    assert labels <= {"article", "other"}
    named = load_config(None, labels=["article", "other"], prelabel={"model": PACKAGED_MODEL})
    with pytest.raises(ConfigError, match="not in the config's labels"):
        resolve(named)  # a model the config names must serve it


def test_the_rules_labeller_never_lets_a_model_vote() -> None:
    labeller = rules_labeller(load_config(None))
    table = labeller([{"page_id": "p", "url": None, "domain": None, "source": "t", "lang": "en",
                       "format": "text", "content": "Advertisement\nA line of the story.\n"}])
    assert table.num_rows == 2
    assert all(v["rule"] != MODEL_VOTER for vs in table.column("votes").to_pylist() for v in vs)


@pytest.mark.shared_data
def test_evaluate_without_a_model_scores_the_rules(shared_data: Path) -> None:
    from curation.evaluate import evaluate_gold

    gold = shared_data / "gold-seed.jsonl"
    res = runner.invoke(app, ["evaluate", "--gold", str(gold), "--json"])
    assert res.exit_code == 0, res.output
    scored = json.loads(res.stdout)
    from curation.process import label_pages

    rules = evaluate_gold(gold, load_config(None), lambda pages: label_pages(
        pages, rules_only(load_config(None))))
    assert scored["labels"] == json.loads(json.dumps(rules["labels"]))
