"""The `evaluate` command as a user runs it: exit codes, stderr problems, one JSON object."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from curation.cli import app

runner = CliRunner()


def test_missing_gold_file_exits_2_with_message(tmp_path: Path) -> None:
    res = runner.invoke(app, ["evaluate", "--gold", str(tmp_path / "nope.jsonl"), "--json"])
    assert res.exit_code == 2
    assert "does not exist" in res.stderr and res.stdout == ""


def test_no_scorable_page_names_every_problem(tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"page_id": "a", "text": "x", "segments": []}\n{oops\n', encoding="utf-8")
    res = runner.invoke(app, ["evaluate", "--gold", str(gold), "--json"])
    assert res.exit_code == 1
    assert "page a: no segments" in res.stderr
    assert "gold.jsonl:2" in res.stderr and "line 2" in res.stderr
    out = json.loads(res.stdout)
    assert out["pages"] == 0 and len(out["problems"]) == 2

