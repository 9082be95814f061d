"""A built wheel, installed into a fresh virtual environment, runs a user's own config and pages
from a folder outside the repository with the packaged cue words and calibration.

How the fresh environment gets its dependencies without a network: the wheel is installed with
`--no-deps` into a venv made from the base interpreter (no system site-packages, so neither the
repository nor its editable install is visible), then a `.pth` line appends the test
environment's site-packages to its path. A directory named by a `.pth` line is not a site
directory, so its own `.pth` hooks (the editable install's finder) never run: `curation` can only
come from the wheel. Every third-party module the run imports must then belong to the wheel's
declared dependencies (or theirs), so a missing entry in `dependencies` fails here too."""

from __future__ import annotations

import ast
import importlib.metadata as md
import os
import shutil
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import datasets
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]

USER_CONFIG = """\
# my.yaml: my pages, my labels' filters; cue words and calibration from the package
input:
  paths: [pages]
output: out
language:
  detector: langdetect
filter:
  filters:
    - {name: min_chars.v1, params: {n: 3}}
publish:
  splits: {train: 0.5, validation: 0.25, test: 0.25}
"""

STORY = ("The city council voted on Tuesday to approve the new budget, which sets aside money "
         "for schools, roads and the public library after a debate that ran late into the night.")


def _page(site: str, title: str) -> str:
    return (f"<html><head><title>{title}</title></head><body>"
            f"<nav><a href='https://{site}/'>Home</a> <a href='https://{site}/news'>News</a></nav>"
            f"<article><h1>{title}</h1><p>{STORY}</p><p>{STORY} {title}.</p></article>"
            "<footer>Share this story</footer></body></html>")


def _build_wheel(tmp: Path) -> Path:
    """Build from a copy of what a source distribution holds (the tree is not written to)."""
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "curation", src / "curation",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"))
    dist = tmp / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", str(dist), str(src)], check=True, capture_output=True, text=True)
    (wheel,) = dist.glob("curation-*.whl")
    return wheel


def _fresh_venv(tmp: Path, wheel: Path) -> tuple[Path, Path]:
    """A venv with only the wheel installed; the test environment's packages appended after."""
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    # the wheel goes in before the dependency path exists: pip must not see (and replace) the
    # test environment's own curation
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q",
                    "--no-deps", "--no-index", str(wheel)], check=True, capture_output=True)
    purelib = Path(sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)}))
    (purelib / "zz_test_dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    (purelib / "zz_record_imports.pth").write_text(
        "import os, sys, atexit; _p = os.environ.get('RECORD_IMPORTS'); _p and atexit.register("
        "lambda p=_p: open(p, 'w').write(' '.join({m.partition('.')[0] for m in sys.modules})))\n")
    return venv, purelib


def _dependency_closure(purelib: Path) -> set[str]:
    """Canonical names of the wheel's required distributions and theirs (no extras)."""
    (info,) = purelib.glob("curation-*.dist-info")
    todo = list(md.Distribution.at(info).requires or [])
    seen: set[str] = set()
    while todo:
        req = Requirement(todo.pop())
        name = canonicalize_name(req.name)
        if name in seen or (req.marker and not req.marker.evaluate({"extra": ""})):
            continue
        seen.add(name)
        try:
            todo.extend(md.distribution(name).requires or [])
        except md.PackageNotFoundError:
            pytest.fail(f"declared dependency {req.name} is not installed in the test environment")
    return seen


def _imported_by(package: Path) -> set[str]:
    """Top-level names of the absolute imports anywhere in *package*'s modules."""
    names: set[str] = set()
    for file in package.rglob("*.py"):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(a.name.partition(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.partition(".")[0])
    return names


@pytest.mark.wheel
def test_wheel_runs_a_users_config_outside_the_repository(tmp_path: Path) -> None:
    venv, purelib = _fresh_venv(tmp_path, _build_wheel(tmp_path))
    work = tmp_path / "work"
    (work / "pages").mkdir(parents=True)
    for i, site_name in enumerate(("a.example", "b.example", "c.example")):
        (work / "pages" / f"{site_name}.html").write_text(_page(site_name, f"Budget story {i}"))
    (work / "my.yaml").write_text(USER_CONFIG)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}

    where = subprocess.run([str(venv / "bin" / "python"), "-c",
                            "import curation; print(curation.__file__)"],
                           cwd=work, env=env, capture_output=True, text=True, check=True)
    assert Path(where.stdout.strip()).is_relative_to(purelib)

    version = subprocess.run([str(venv / "bin" / "curation"), "--version"], cwd=work, env=env,
                             capture_output=True, text=True)
    assert version.returncode == 0 and md.version("curation") in version.stdout

    record = tmp_path / "imports.txt"
    done = subprocess.run([str(venv / "bin" / "curation"), "run", "my.yaml"], cwd=work,
                          env={**env, "RECORD_IMPORTS": str(record)}, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "pages: 3" in done.stdout

    # the packaged calibration is not for rewriting in an install: say where to write instead
    calibrate = subprocess.run([str(venv / "bin" / "curation"), "rules", "calibrate", "--gold",
                                "gold.jsonl"], cwd=work, env=env, capture_output=True, text=True)
    assert calibrate.returncode == 2 and "--out" in calibrate.stderr

    api = subprocess.run([str(venv / "bin" / "python"), "-c",
                          "import curation, pathlib; print(curation.clean(pathlib.Path("
                          "'pages/a.example.html').read_text()).body)"],
                         cwd=work, env=env, capture_output=True, text=True)
    assert api.returncode == 0 and STORY in api.stdout, api.stderr

    ds = datasets.load_dataset(str(work / "out" / "dataset"))
    assert sum(ds.num_rows.values()) > 0
    label = next(iter(ds.values())).features["label"]
    assert label.names[0] == "article"
    assert "article" in {label.int2str(x) for split in ds.values() for x in split["label"]}

    # what the package's own code imported during the run (a dependency's optional imports
    # of whatever happens to be installed are not the wheel's business)
    used = set(record.read_text().split()) & _imported_by(purelib / "curation")
    closure = _dependency_closure(purelib)
    owners = md.packages_distributions()
    undeclared = {
        mod: owners.get(mod, ["?"]) for mod in used
        if mod != "curation" and mod not in sys.stdlib_module_names
        and not {canonicalize_name(d) for d in owners.get(mod, [])} & closure
    }
    assert not undeclared, f"imported but not a declared dependency: {undeclared}"
