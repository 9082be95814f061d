"""The ablation benchmark's variants name the feature groups they use."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from curation.model.features import DEFAULT_GROUPS

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def _ablation() -> ModuleType:
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location("feature_ablation",
                                                      BENCH / "feature_ablation.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCH))


def test_variants_add_and_remove_groups():
    groups = _ablation().variant_groups
    assert groups("base") == DEFAULT_GROUPS
    assert "classes" in groups("+classes") and len(groups("+classes")) == len(DEFAULT_GROUPS) + 1
    both = groups("+classes,-template,-images")
    assert "classes" in both and "template" not in both and "images" not in both
    with pytest.raises(SystemExit, match="bad variant"):
        groups("-css")
