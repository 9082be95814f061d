"""The command line as a user types it (a real subprocess for the main job)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import typer
import yaml
from typer.testing import CliRunner

from curation.cli import app
from curation.cli.options import EXIT_FAILED, EXIT_USAGE, exit_code

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def test_run_prints_a_summary_and_refuses_to_overwrite(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "input": {"paths": [str(ROOT / "curation" / "samples")]},
                "output": str(tmp_path / "out"),
                "prelabel": {"cues_dir": "builtin:cues"},
            }
        ),
        encoding="utf-8",
    )
    cmd = [sys.executable, "-m", "curation.cli", "run", str(cfg)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "pages: 5" in done.stdout and "splits:" in done.stdout
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert again.returncode == 2 and "--overwrite" in again.stderr
    assert (tmp_path / "out" / "dataset" / "README.md").is_file()


def test_bad_config_is_a_clear_error(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("filter: {filters: [{name: lenght.v1}]}\n", encoding="utf-8")
    res = runner.invoke(app, ["run", str(cfg)])
    assert res.exit_code == 2
    assert "unknown filter 'lenght.v1'" in res.output and "min_chars.v1" in res.output


def test_rules_list_and_dry_run() -> None:
    res = runner.invoke(app, ["rules", "list"])
    assert res.exit_code == 0 and "teaser.time_ago.v1" in res.output
    res = runner.invoke(app, ["run", str(ROOT / "configs" / "default.yaml"), "--dry-run"])
    assert res.exit_code == 0 and "builtin:samples" in res.output


def test_version_and_filters_list() -> None:
    from curation import __version__
    from curation.filter import FILTERS

    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and res.output.strip() == f"curation {__version__}"
    res = runner.invoke(app, ["filters", "list"])
    assert res.exit_code == 0
    for name in FILTERS:
        assert name in res.output
    assert "min_chars.v1" in res.output and "n (int, default" in res.output


def _commands(group: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, cmd in group.commands.items():
        if hasattr(cmd, "commands"):  # a command group
            out.update(_commands(cmd, f"{prefix}{name} "))
        else:
            out[f"{prefix}{name}"] = cmd
    return out


def test_every_command_names_its_config_the_same_way() -> None:
    commands = _commands(typer.main.get_command(app))
    with_config = {n: c for n, c in commands.items() if any(p.name == "config" for p in c.params)}
    assert {"run", "evaluate", "train", "clean", "rules report", "tasks push"} <= set(with_config)
    for name, cmd in with_config.items():
        (opt,) = [p for p in cmd.params if p.name == "config"]
        assert set(opt.opts) == {"--config", "-c"}, name


def test_config_as_argument_or_option(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("output: elsewhere\n", encoding="utf-8")
    as_arg = runner.invoke(app, ["run", str(cfg), "--dry-run"])
    as_opt = runner.invoke(app, ["run", "-c", str(cfg), "--dry-run"])
    assert as_arg.exit_code == 0 and as_arg.output == as_opt.output
    assert "output: elsewhere" in as_opt.output
    both = runner.invoke(app, ["run", str(cfg), "--config", str(ROOT / "configs/default.yaml")])
    assert both.exit_code == 2 and "two configs" in both.output


def test_one_exit_code_map() -> None:
    from curation.errors import ConfigError, InputError, OutputExistsError, SchemaError
    from curation.labelstudio.errors import LabelStudioError

    for exc in (ConfigError("x"), InputError("x"), OutputExistsError("x"), SchemaError("x")):
        assert exit_code(exc) == EXIT_USAGE
    assert exit_code(LabelStudioError("x")) == EXIT_FAILED
    # the same error gives the same code from every command: a missing config file
    for cmd in (["run"], ["ingest"], ["rules", "report", "--gold", "g.jsonl"],
                ["evaluate", "--gold", "g.jsonl"], ["tasks", "push"]):
        res = runner.invoke(app, [*cmd, "--config", "no-such.yaml"])
        assert res.exit_code == EXIT_USAGE and "no-such.yaml does not exist" in res.output, cmd


def test_a_copy_of_the_default_config_works_anywhere(tmp_path: Path) -> None:
    import shutil

    from curation import label_page
    from curation.config import load_config, rules_only
    from curation.defaults import packaged, source_checkout

    copy = shutil.copy(ROOT / "configs" / "default.yaml", tmp_path / "mine.yaml")
    segments = label_page("Advertisement\nShare on Facebook\n", lang="en",
                          config=rules_only(load_config(copy)))
    assert [s.label for s in segments] == ["ad", "other"]
    # in this checkout `curation rules calibrate` rewrites the packaged calibration
    assert source_checkout() == ROOT and packaged("calibration.yaml").is_file()


def test_dry_run_without_a_config_writes_a_config_to_start_from(tmp_path: Path) -> None:
    res = runner.invoke(app, ["run", "--dry-run"])
    assert res.exit_code == 0 and "cues_dir: builtin:cues" in res.output
    (tmp_path / "start.yaml").write_text(res.output, encoding="utf-8")
    again = runner.invoke(app, ["run", "-c", str(tmp_path / "start.yaml"), "--dry-run"])
    assert again.exit_code == 0 and again.output == res.output
