"""The ground-level vocabulary: one definition of a site, shared by folds, splits and analysis."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import curation.taxonomy as taxonomy
from curation.config import RunConfig
from curation.label.rules import CODE
from curation.taxonomy import LABELS, site_of


@pytest.mark.parametrize(("value", "site"), [
    ("https://www.bbc.co.uk/news/world-1", "bbc.co.uk"),
    ("http://News.Example.com:8080/a?b=1", "example.com"),
    ("www.wired.com", "wired.com"),
    ("vesti.bg", "vesti.bg"),                       # a gold `group` is already a site
    ("https://user@blog.example.org/x", "example.org"),
    ("http://127.0.0.1:8000/page", "127.0.0.1"),   # no registered domain: the host itself
    ("localhost", "localhost"),
    ("", ""),
    (None, ""),
])
def test_site_of(value: str | None, site: str) -> None:
    assert site_of(value) == site


def test_a_url_and_its_gold_group_are_one_site() -> None:
    assert site_of("https://edition.cnn.com/2024/01/01/story") == site_of("cnn.com")


def test_the_label_set_is_defined_once() -> None:
    assert RunConfig().labels == list(LABELS)
    assert list(CODE) == list(LABELS)


def test_taxonomy_imports_nothing_from_the_package() -> None:
    tree = ast.parse(Path(taxonomy.__file__).read_text(encoding="utf-8"))
    modules = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    modules += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [m for m in modules if m.split(".")[0] == "curation"]
