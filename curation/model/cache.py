"""An on-disk cache of the prepared inputs of site-grouped CV: each run's pre-labelled segments
with their gold targets, and their feature matrix.

Reading, segmenting and pre-labelling ~380 gold pages and featurising ~65k segments costs a
minute or more; a feature experiment changes neither the pages nor the rules. Entries are keyed
by the bytes of the gold files, the config, and the source of the code that made them: the
labelled runs by every curation module outside curation/model/ and model/data.py and
model/cv.py (which build them), the features additionally by
model/features.py and model/page_shape.py (so FEATURE_CODE_VERSION and any edit there) and the
feature config.
Writes are atomic (a temporary name, then a rename): a killed run leaves no half entry."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.feather as feather
import scipy.sparse as sp

from curation.model.data import Labelled
from curation.user_cache import user_cache_dir

_PACKAGE = Path(__file__).resolve().parents[1]
_FEATURES_SOURCES = [Path(__file__).resolve().parent / name
                     for name in ("features.py", "hashing.py", "page_shape.py", "charstats.py")]


def default_cache_dir() -> Path:
    """The user cache folder (curation.user_cache); a temporary folder when there is no home."""
    return user_cache_dir() or Path(tempfile.gettempdir()) / "curation-cache"


def _sha(parts: Sequence[bytes]) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(hashlib.sha256(p).digest())
    return h.hexdigest()[:24]


def _read_sources() -> tuple[list[bytes], bytes]:
    model_dir = _PACKAGE / "model"
    files = sorted(p for p in _PACKAGE.rglob("*.py") if model_dir not in p.parents)
    files += sorted((_PACKAGE / "defaults").rglob("*.yaml"))
    out = [str(p.relative_to(_PACKAGE)).encode() + b"\0" + p.read_bytes() for p in files]
    out += [(model_dir / name).read_bytes() for name in ("data.py", "cv.py")]
    return out, b"".join(f.read_bytes() for f in _FEATURES_SOURCES)


# read once, when the code that runs is imported: an edit made while a run goes on must not
# file that run's results under the edited code's key
_SOURCES, _FEATURES = _read_sources()


def _source_bytes(include_features: bool) -> list[bytes]:
    return [*_SOURCES, _FEATURES] if include_features else list(_SOURCES)


def labelled_key(gold_files: Sequence[Path], config_json: str) -> str:
    """Key of the labelled runs made from *gold_files* (in order) under a config."""
    data = [Path(p).read_bytes() for p in gold_files]
    return _sha([*data, config_json.encode(), *_source_bytes(include_features=False)])


def features_key(labelled: str, feature_identity: str) -> str:
    """Key of the feature matrices of labelled runs *labelled* under one feature config."""
    return _sha([labelled.encode(), feature_identity.encode(),
                 *_source_bytes(include_features=True)])


def _atomic(path: Path, write: Callable[[Path], None]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class PreparedCache:
    """Labelled runs and feature matrices under *root* (one folder per key)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def labelled(self, key: str, build: Callable[[], list[Labelled]]) -> list[Labelled]:
        """The runs stored under *key*, else built, stored and returned."""
        folder = self.root / "labelled" / key
        done = folder / "runs.json"
        if done.is_file():
            meta = json.loads(done.read_text(encoding="utf-8"))
            return [_read_run(folder, i, m) for i, m in enumerate(meta)]
        runs = build()
        meta = [_write_run(folder, i, r) for i, r in enumerate(runs)]
        _write_text(done, json.dumps(meta))
        return runs

    def features(self, key: str, build: Callable[[], list[sp.csr_matrix]]
                 ) -> list[sp.csr_matrix]:
        """The matrices stored under *key*, else built, stored and returned."""
        folder = self.root / "features" / key
        done = folder / "count.json"
        if done.is_file():
            n = int(json.loads(done.read_text(encoding="utf-8")))
            return [sp.csr_matrix(sp.load_npz(folder / f"{i}.npz")) for i in range(n)]
        xs = build()
        for i, x in enumerate(xs):
            _atomic(folder / f"{i}.npz", functools.partial(_save_npz, x=x))
        _write_text(done, json.dumps(len(xs)))
        return xs


def _write_text(path: Path, text: str) -> None:
    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    _atomic(path, write)


def _save_npz(path: Path, x: sp.csr_matrix) -> None:
    with path.open("wb") as fh:
        sp.save_npz(fh, x, compressed=False)


def _write_run(folder: Path, i: int, run: Labelled) -> dict[str, object]:
    _atomic(folder / f"{i}.arrow", lambda p: feather.write_feather(run.table, str(p)))
    _atomic(folder / f"{i}.weight.npy", functools.partial(_save_npy, a=run.weight))
    return {"target": run.target, "group": run.group, "body": run.body}


def _save_npy(path: Path, a: npt.NDArray[np.float64]) -> None:
    with path.open("wb") as fh:
        np.save(fh, a)


def _read_run(folder: Path, i: int, meta: dict[str, list[str | None]]) -> Labelled:
    table: pa.Table = feather.read_table(str(folder / f"{i}.arrow"))
    weight = np.load(folder / f"{i}.weight.npy")
    group = [str(g) for g in meta["group"]]
    return Labelled(table, list(meta["target"]), group, weight, list(meta["body"]))
