"""A user's own rules: a module named in the config registers rules with `curation.rule`; they
vote like the built-in ones, can be weighted, and show in `rules list` and `rules report`.
The runs that register rules are real subprocesses: the rule registry is per process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import yaml

from curation.config import RunConfig, load_config
from curation.errors import ConfigError
from curation.label.rules.plugins import available_rules, builtin_rule_names
from curation.resolve import resolve

ROOT = Path(__file__).resolve().parents[1]
RULE = "mysite.first_line.v1"
# the README's example, in the shape a user writes it
MODULE = f'''
import numpy as np
from curation import rule


@rule(name="{RULE}", label="joke", weight=1.0)
def first_line(frame):
    """The first segment of every page (this site opens each page with a joke)."""
    return np.asarray(frame.first, dtype=bool)
'''


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "curation.cli", *args], capture_output=True,
                          text=True, timeout=300, cwd=ROOT)


def _config(tmp_path: Path, out: str, **prelabel: Any) -> Path:
    path = tmp_path / f"{out}.yaml"
    path.write_text(yaml.safe_dump({
        "input": {"paths": [str(ROOT / "curation" / "samples")]},
        "output": str(tmp_path / out),
        "prelabel": {"model": None, **prelabel},  # the rules' own prelabels
    }), encoding="utf-8")
    return path


def _first_segments(out: Path) -> list[dict[str, Any]]:
    segs = pq.read_table(out / "segments").to_pylist()
    firsts: dict[str, dict[str, Any]] = {}
    for s in segs:  # segments are in page order
        firsts.setdefault(s["page_id"], s)
    return list(firsts.values())


def test_a_users_rule_votes_and_changes_prelabels(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "my_rules.py").write_text(MODULE, encoding="utf-8")
    plain = _cli("run", str(_config(tmp_path, "plain")))
    assert plain.returncode == 0, plain.stderr
    # weighted in the config like a built-in rule: heavy enough to outvote the others
    mine = _cli("run", str(_config(tmp_path, "mine", plugins=["rules/my_rules.py"],
                                   weights={RULE: 50.0})))
    assert mine.returncode == 0, mine.stderr

    before, after = _first_segments(tmp_path / "plain"), _first_segments(tmp_path / "mine")
    assert len(after) == 5 and all(s["prelabel"] != "joke" for s in before)
    for s in after:
        assert {"rule": RULE, "label": "joke"} in s["votes"]
        assert s["prelabel"] == "joke"
    segs = pq.read_table(tmp_path / "mine" / "segments")
    voters = {v["rule"] for row in segs.column("votes").to_pylist() for v in row}
    assert RULE in voters and len(voters) > 10  # the built-in rules still vote
    assert sum(v["rule"] == RULE for row in segs.column("votes").to_pylist() for v in row) == 5

    listed = _cli("rules", "list", "--config", str(tmp_path / "mine.yaml"))
    assert listed.returncode == 0, listed.stderr
    line = next(x for x in listed.stdout.splitlines() if x.startswith(RULE))
    assert "joke" in line and "first segment of every page" in line
    assert RULE not in _cli("rules", "list").stdout  # only configs naming the plugin run it


@pytest.mark.shared_data
def test_rules_report_scores_a_users_rule(tmp_path: Path, shared_data: Path) -> None:
    (tmp_path / "my_rules.py").write_text(MODULE, encoding="utf-8")
    cfg = _config(tmp_path, "out", plugins=["my_rules.py"])
    res = _cli("rules", "report", "--gold", str(shared_data / "gold-seed.jsonl"), "--config",
               str(cfg), "--json")
    assert res.returncode == 0, res.stderr
    rows = {r["rule"]: r for r in json.loads(res.stdout)["rules"]}
    assert set(builtin_rule_names()) < set(rows)
    assert rows[RULE]["coverage"] > 0


def test_an_installed_packages_entry_point_rules_run_under_every_config(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "acme_rules-1.0.dist-info").mkdir(parents=True)
    (site / "acme_rules-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: acme-rules\nVersion: 1.0\n", encoding="utf-8")
    (site / "acme_rules-1.0.dist-info" / "entry_points.txt").write_text(
        "[curation.rules]\nacme = acme_rules\n", encoding="utf-8")
    (site / "acme_rules.py").write_text(MODULE, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(site)}
    listed = subprocess.run([sys.executable, "-m", "curation.cli", "rules", "list"],
                            capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)
    assert listed.returncode == 0, listed.stderr
    assert any(x.startswith(RULE) for x in listed.stdout.splitlines())
    (site / "acme_rules.py").write_text("import no_such_dependency\n", encoding="utf-8")
    broken = subprocess.run([sys.executable, "-m", "curation.cli", "rules", "list"],
                            capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)
    assert broken.returncode == 2
    assert "entry point acme = acme_rules (group curation.rules)" in broken.stderr


@pytest.mark.parametrize(("source", "message"), [
    ("raise RuntimeError('no database')", r"failed to load: RuntimeError: no database"),
    ("from curation import rule\n@rule(name='ad.cue.v1', label='ad')\ndef f(frame): ...",
     r"rule 'ad.cue.v1' is registered twice: a built-in rule or another plugin's has that name"),
    ("from curation import rule\n@rule(name='mysite.x.v1', label='promo')\ndef f(frame): ...",
     r"unknown label 'promo'; valid labels: article, caption, ad"),
])
def test_a_plugin_that_fails_is_a_config_error(tmp_path: Path, source: str,
                                                message: str) -> None:
    (tmp_path / "bad_rules.py").write_text(source, encoding="utf-8")
    path = _config(tmp_path, "out", plugins=["bad_rules.py"])
    with pytest.raises(ConfigError, match=message):
        resolve(load_config(path))
    res = _cli("run", str(path))
    assert res.returncode == 2 and "bad_rules.py" in res.stderr
    assert not (tmp_path / "out").exists()  # before any data is read


def test_a_missing_plugin_names_both_forms(tmp_path: Path) -> None:
    for entry in ("no_such_rules_module", "rules/missing.py"):
        cfg = RunConfig.model_validate({"base_dir": str(tmp_path),
                                        "prelabel": {"plugins": [entry]}})
        with pytest.raises(ConfigError, match=r"on the Python path .* relative to the config"):
            available_rules(cfg)


def test_a_rule_name_no_plugin_holds_is_a_config_error() -> None:
    cfg = RunConfig.model_validate({"prelabel": {"rules": ["mysite.other.v1"]}})
    with pytest.raises(ConfigError, match="unknown rule 'mysite.other.v1'; valid rules: ad."):
        resolve(cfg)
