"""`curation tasks export|push|pull CONFIG` through the real CLI and a real server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from label_studio_sdk import LabelStudio
from ls_helpers import write_segments
from typer.testing import CliRunner

from curation.cli import app

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
