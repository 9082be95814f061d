"""Gradient-boosted trees are stored packed (one node array per ensemble) and come back as
the same trees: equal predictions, bit for bit; version-3 files (trees unpacked) still load."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from curation.errors import SchemaError
from curation.model import cleaner as cleaner_module
from curation.model.cleaner import MODEL_FORMAT_VERSION, load, save
from curation.model.packed import TREES, pack_trees, unpack_trees
from curation.model.store import TRUSTED_TYPES


@pytest.mark.parametrize("classes", [2, 4])
def test_unpacked_trees_predict_as_the_fitted_ones(classes: int) -> None:
    rng = np.random.default_rng(classes)
    x = rng.normal(size=(400, 6))
    y = (x[:, 0] * 2 + x[:, 1] > 0).astype(int) + (classes > 2) * (x[:, 2] > 0.5) * 2
    model = HistGradientBoostingClassifier(max_iter=15, random_state=0).fit(x, y)
    bare, packed = pack_trees(model)
    assert packed is not None and bare._predictors == [] and model._predictors
    assert len(packed["sizes"]) == 15 * (1 if classes == 2 else classes)
    again = unpack_trees(bare, packed)
    assert np.array_equal(again.predict_proba(x), model.predict_proba(x))


def test_what_is_not_a_tree_ensemble_is_stored_as_it_is() -> None:
    head = LogisticRegression().fit(np.eye(4), [0, 1, 0, 1])
    assert pack_trees(head) == (head, None)
    assert pack_trees(None) == (None, None)


def test_packed_trees_that_do_not_add_up_are_refused() -> None:
    x = np.random.default_rng(0).normal(size=(200, 3))
    bare, packed = pack_trees(HistGradientBoostingClassifier(max_iter=5).fit(x, x[:, 0] > 0))
    assert packed is not None
    with pytest.raises(ValueError, match="do not add up"):
        unpack_trees(bare, {**packed, "sizes": packed["sizes"][:-1]})


def _member_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        return zf.namelist()


def test_a_model_file_holds_packed_trees_and_reads_back_the_same(
    trained_model: Path, tmp_path: Path
) -> None:
    cleaner = load(trained_model)
    assert cleaner.body_stage is not None and cleaner.stacker is not None
    save(cleaner, tmp_path / "new.model")
    again = load(tmp_path / "new.model")
    with zipfile.ZipFile(tmp_path / "new.model") as zf:
        assert json.loads(zf.read("meta.json"))["format_version"] == MODEL_FORMAT_VERSION == 4
    x = np.random.default_rng(1).normal(size=(50, cleaner.body_stage.n_features_in_))
    assert np.array_equal(again.body_stage.predict_proba(x), cleaner.body_stage.predict_proba(x))
    import skops.io as sio

    with zipfile.ZipFile(tmp_path / "new.model") as zf:
        stored = sio.loads(zf.read("estimators.skops"), trusted=list(TRUSTED_TYPES))
    assert stored["body_stage"]._predictors == [] and "body_stage" + TREES in stored
    assert stored["stacker"]._predictors == [] and "stacker" + TREES in stored


def test_a_version_3_file_with_unpacked_trees_still_loads(
    trained_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cleaner = load(trained_model)
    cleaner.format_version = 3
    with monkeypatch.context() as m:  # written as before packing
        m.setattr(cleaner_module, "pack_trees", lambda est: (est, None))
        save(cleaner, tmp_path / "v3.model")
    old = load(tmp_path / "v3.model")
    assert old.body_stage is not None and old.body_stage._predictors
    x = np.random.default_rng(2).normal(size=(50, old.body_stage.n_features_in_))
    assert np.array_equal(old.body_stage.predict_proba(x), cleaner.body_stage.predict_proba(x))


def test_damaged_packed_trees_are_refused_with_a_reason(
    trained_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cleaner = load(trained_model)

    def short_by_one(est: object) -> tuple[object, dict[str, object] | None]:
        bare, packed = pack_trees(est)
        return bare, None if packed is None else {**packed, "sizes": packed["sizes"][:-1]}

    monkeypatch.setattr(cleaner_module, "pack_trees", short_by_one)
    save(cleaner, tmp_path / "damaged.model")
    with pytest.raises(SchemaError, match="damaged trees of body_stage.*retrain"):
        load(tmp_path / "damaged.model")
    assert _member_names(tmp_path / "damaged.model") == ["meta.json", "estimators.skops"]
