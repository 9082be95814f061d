"""`curation tasks export|push|pull CONFIG` through the real CLI and a real server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from label_studio_sdk import LabelStudio
from ls_helpers import line_run, write_segments
from typer.testing import CliRunner

from curation.cli import app
from curation.labelstudio.lines import html_texts

pytestmark = pytest.mark.labelstudio


def test_cli_export_push_pull(ls: LabelStudio, make_cfg: Any, tmp_path: Path) -> None:
    cfg = make_cfg()  # only for its unique project title (deleted after the test)
    title = cfg.labelstudio.project_title
    conf = tmp_path / "run.yaml"
    conf.write_text(f"output: out\nlabelstudio:\n  project_title: {title}\n  batch_size: 2\n")
    write_segments(tmp_path / "out")
    runner = CliRunner()

    r = runner.invoke(app, ["tasks", "export", str(conf), "--out", str(tmp_path / "t.json")])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["tasks"] == 3
    r = runner.invoke(app, ["tasks", "push", str(conf), "--select", "uncertain", "--limit", "2"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["tasks_imported"] == 2
    r = runner.invoke(app, ["tasks", "push", str(conf)])
    assert json.loads(r.output)["tasks_imported"] == 1
    r = runner.invoke(app, ["tasks", "pull", str(conf)])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["tasks"] == 3
    assert (tmp_path / "out" / "human_labels" / "_SUCCESS").is_file()

    bad = tmp_path / "bad.yaml"
    bad.write_text("output: out\nlabelstudio:\n  url: http://127.0.0.1:9\n")
    r = runner.invoke(app, ["tasks", "push", str(bad)])
    assert r.exit_code == 1 and "cannot reach the server" in r.output


def _page(title: str, body: str) -> str:
    menu = "".join(f'<li><a href="/{i}">Section {i}</a></li>' for i in range(4))
    return (f"<html><body><ul>{menu}</ul><h1>{title}</h1><p>{body}</p>"
            "<p>Second paragraph of the story, long enough to be text.</p></body></html>")


def test_human_labels_survive_a_recrawl_and_overwrite_through_the_cli(
        ls: LabelStudio, make_cfg: Any, annotators: dict[str, int], tmp_path: Path) -> None:
    title = make_cfg().labelstudio.project_title
    pages = tmp_path / "crawl.jsonl"
    rows = [{"id": "p1", "url": "https://news.example/1", "html": _page("A headline",
                                                                           "The first body.")},
            {"id": "p2", "url": "https://news.example/2", "html": _page("Other", "Other body.")}]
    pages.write_text("".join(json.dumps(r) + "\n" for r in rows))
    conf = tmp_path / "run.yaml"
    conf.write_text(f"input: {{paths: [crawl.jsonl]}}\noutput: out\nlanguage: {{detector: none}}\n"
                    f"labelstudio: {{project_title: {title}}}\n")
    runner = CliRunner()
    r = runner.invoke(app, ["run", str(conf)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["tasks", "push", str(conf)])
    assert json.loads(r.output)["tasks_imported"] == 2, r.output
    projects: list[Any] = ls.projects.list(title=title).items or []
    assert projects, f"no project {title!r}"
    pid = projects[0].id
    tasks: list[Any] = list(ls.tasks.list(project=pid))
    (p1,) = [t for t in tasks if t.data["page_id"] == "p1"]
    n = len(p1.data["segments"])
    texts = html_texts(p1.data["html"]) or []
    ls.annotations.create(id=p1.id, completed_by=annotators["ann1@example.com"],
                          result=[line_run(0, n - 1, "joke", texts)])  # one drag over all
    r = runner.invoke(app, ["tasks", "pull", str(conf)])
    assert json.loads(r.output)["applied"] == n, r.output

    # crawled again: a banner line on top, the body edited; re-run from scratch
    rows[0]["html"] = _page("A headline", "The first body, corrected.").replace(
        "<body>", "<body><p>Breaking: a banner line at the top of the page.</p>")
    pages.write_text("".join(json.dumps(r) + "\n" for r in rows))
    r = runner.invoke(app, ["run", str(conf), "--overwrite"])
    assert r.exit_code == 0, r.output
    out = tmp_path / "out"
    assert pq.read_table(out / "human_labels").num_rows == n  # --overwrite keeps them
    data = pq.read_table(out / "dataset" / "data").to_pylist()
    p1_rows = {d["text"]: (d["label"], d["label_source"]) for d in data if d["page_id"] == "p1"}
    assert p1_rows["A headline"] == ("joke", "human")
    assert p1_rows["Section 2"] == ("joke", "human")
    assert p1_rows["The first body, corrected."][1] != "human"
    assert p1_rows["Breaking: a banner line at the top of the page."][1] != "human"
    stats = json.loads((out / "stats.json").read_text())
    assert stats["counts"]["filter"]["human_labels_unmatched"] == 1
    assert any("The first body." in s["detail"] for s in stats["skipped"])

    r = runner.invoke(app, ["tasks", "forget", str(conf)])
    assert r.exit_code == 2 and "--page PAGE_ID" in r.output
    r = runner.invoke(app, ["tasks", "forget", str(conf), "--page", "p1"])
    assert json.loads(r.output) == {"deleted": n, "kept": 0}
