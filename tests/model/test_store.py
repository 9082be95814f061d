"""Model files cannot run code: pickles and foreign types are refused before anything is
rebuilt; a model from another scikit-learn is refused with a message to retrain."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import joblib
import pytest
import skops.io as sio

from curation.errors import SchemaError
from curation.model.cleaner import load
from curation.model.store import ESTIMATORS, META


class Payload:
    """Writes a marker file when unpickled or rebuilt: proof that loading ran code."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, ...]]:
        return (os.system, (f"touch {self.marker}",))


class StatePayload:
    """Runs code from __setstate__ (how a rebuilt custom object would)."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __setstate__(self, state: dict[str, str]) -> None:
        Path(state["marker"]).write_text("ran", encoding="utf-8")


def _replace_member(src: Path, dst: Path, name: str, data: bytes) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for member in zin.namelist():
            zout.writestr(member, data if member == name else zin.read(member))


def test_a_crafted_pickle_is_refused_without_running(tmp_path: Path):
    marker = tmp_path / "pwned"
    joblib.dump(Payload(str(marker)), tmp_path / "evil.model")
    with pytest.raises(SchemaError, match="pickles are refused"):
        load(tmp_path / "evil.model")
    assert not marker.exists()


def test_foreign_types_in_the_estimators_are_refused_without_running(
    trained_model: Path, tmp_path: Path
):
    marker = tmp_path / "pwned"
    for k, evil in enumerate([StatePayload(str(marker)), {"f": os.system}]):
        bad = tmp_path / f"evil{k}.model"
        _replace_member(trained_model, bad, ESTIMATORS, sio.dumps({"article_head": evil}))
        with pytest.raises(SchemaError, match="types curation does not trust"):
            load(bad)
    assert not marker.exists()


def test_a_model_from_another_scikit_learn_is_refused(trained_model: Path, tmp_path: Path):
    with zipfile.ZipFile(trained_model) as zf:
        meta = json.loads(zf.read(META))
    meta["sklearn_version"] = "0.24.2"
    old = tmp_path / "old.model"
    _replace_member(trained_model, old, META, json.dumps(meta).encode())
    with pytest.raises(SchemaError, match=r"scikit-learn 0\.24\.2.*retrain"):
        load(old)


def test_zip_with_other_members_is_refused(tmp_path: Path):
    path = tmp_path / "other.model"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("data.pkl", b"x")
    with pytest.raises(SchemaError, match="not a curation model file"):
        load(path)
