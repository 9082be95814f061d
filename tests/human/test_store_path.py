"""The human-label store can live where the config names it (labelstudio.human_labels): pull
writes it there, filter reads it from there, forget deletes from there, and `run --overwrite`
leaves it alone. No server: the tasks go out as an export file and come back as one."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
from ls_helpers import line_run
from typer.testing import CliRunner

from curation.cli import app
from curation.config import RunConfig, load_config
from curation.human.store import store_dir
from curation.labelstudio.lines import html_texts

MENU = "".join(f'<li><a href="/{i}">Section {i}</a></li>' for i in range(4))
HTML = (f"<html><body><ul>{MENU}</ul><h1>A headline</h1><p>The story's body, long enough "
        "to be text.</p></body></html>")


def test_the_default_store_is_under_the_output_folder(tmp_path: Path) -> None:
    cfg = RunConfig(output="out", base_dir=str(tmp_path))
    assert store_dir(cfg) == tmp_path / "out" / "human_labels"
    named = RunConfig.model_validate({"output": "out", "base_dir": str(tmp_path),
                                      "labelstudio": {"human_labels": "../labels"}})
    assert store_dir(named) == tmp_path.parent / "labels"


def test_a_store_the_config_names_is_used_by_pull_filter_and_forget(tmp_path: Path) -> None:
    (tmp_path / "crawl.jsonl").write_text(
        json.dumps({"id": "p1", "url": "https://news.example/1", "html": HTML}) + "\n")
    conf = tmp_path / "run.yaml"
    conf.write_text("input: {paths: [crawl.jsonl]}\noutput: out\nlanguage: {detector: none}\n"
                    "labelstudio: {human_labels: kept/labels}\n")
    runner = CliRunner()
    r = runner.invoke(app, ["run", str(conf)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["tasks", "export", str(conf), "--out", str(tmp_path / "t.json")])
    assert r.exit_code == 0, r.output
    (task,) = json.loads((tmp_path / "t.json").read_text())
    texts = html_texts(task["data"]["html"])
    assert texts
    # what Label Studio's JSON export holds after one drag over every line
    task.update(id=1, annotations=[{"id": 1, "completed_by": 1,
                                    "result": [line_run(0, len(texts) - 1, "joke", texts)]}])
    (tmp_path / "export.json").write_text(json.dumps([task]))
    r = runner.invoke(app, ["tasks", "pull", str(conf), "--from-file",
                            str(tmp_path / "export.json")])
    assert r.exit_code == 0, r.output
    store = tmp_path / "kept" / "labels"
    assert store_dir(load_config(conf)) == store
    assert pq.read_table(store).num_rows == len(texts)
    assert not (tmp_path / "out" / "human_labels").exists()

    r = runner.invoke(app, ["run", str(conf), "--overwrite"])
    assert r.exit_code == 0, r.output
    rows = pq.read_table(tmp_path / "out" / "dataset" / "data").to_pylist()
    assert rows and {(d["label"], d["label_source"]) for d in rows} == {("joke", "human")}
    assert pq.read_table(store).num_rows == len(texts)  # --overwrite left it alone

    r = runner.invoke(app, ["tasks", "forget", str(conf), "--all"])
    assert json.loads(r.output) == {"deleted": len(texts), "kept": 0}
    assert pq.read_table(store).num_rows == 0
