"""Model files that cannot run code when read.

A model file is a zip archive of two members:
- `meta.json`: what the model is (kind, format and feature versions, labels, rules, the
  scikit-learn that trained it, training summary), read and checked first;
- `estimators.skops`: the fitted scikit-learn estimators, in skops' format, which rebuilds
  only the types it is told to trust (no pickle: a crafted file cannot execute anything).

Reading refuses anything else (a joblib pickle, a zip with other members, an estimator of an
untrusted type) with a message saying what it is and how to make a model file; a model
trained by another scikit-learn version is refused before its estimators are rebuilt."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import sklearn

from curation.errors import ConfigError, SchemaError

META = "meta.json"
ESTIMATORS = "estimators.skops"
# types rebuilt beyond skops' own safe defaults (scikit-learn estimators, numpy arrays and
# dtypes, builtins): the trees of the gradient-boosted body stage
TRUSTED_TYPES = ("sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",)
_NOT_A_MODEL = "make one with `curation train` (model files are zip archives of meta.json and " \
    "estimators.skops; pickles are refused: loading one could run arbitrary code)"


def write_model(path: Path, meta: dict[str, Any], estimators: dict[str, Any]) -> None:
    """Write *meta* (JSON-able) and *estimators* (scikit-learn objects) atomically."""
    import skops.io as sio

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {**meta, "sklearn_version": sklearn.__version__}
    blob = sio.dumps(estimators)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        # fixed timestamps: the same model gives the same bytes
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, data in ((META, json.dumps(meta, sort_keys=True, indent=1).encode()),
                               (ESTIMATORS, blob)):
                info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def read_meta(path: Path) -> tuple[dict[str, Any], bytes]:
    """The checked-for-shape meta of a model file and its (not yet rebuilt) estimator bytes."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"model file {path} does not exist; make one with `curation train`")
    if not zipfile.is_zipfile(path):
        raise SchemaError(f"{path} is not a curation model file; {_NOT_A_MODEL}")
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if names != {META, ESTIMATORS}:
                raise SchemaError(f"{path} is not a curation model file (members "
                                  f"{sorted(names)}); {_NOT_A_MODEL}")
            meta = json.loads(zf.read(META))
            blob = zf.read(ESTIMATORS)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise SchemaError(f"{path} is not a readable curation model file "
                          f"({type(exc).__name__}: {exc}); {_NOT_A_MODEL}") from None
    if not isinstance(meta, dict):
        raise SchemaError(f"{path}: meta.json is not an object; {_NOT_A_MODEL}")
    return meta, blob


def check_sklearn(path: Path, meta: dict[str, Any]) -> None:
    """Refuse a model trained by another scikit-learn: its estimators' internals may differ."""
    trained = meta.get("sklearn_version")
    if trained != sklearn.__version__:
        raise SchemaError(
            f"{path}: the model was trained with scikit-learn {trained}, this environment has "
            f"{sklearn.__version__}; retrain it with `curation train` (or install "
            f"scikit-learn=={trained})"
        )


def read_estimators(path: Path, blob: bytes) -> dict[str, Any]:
    """Rebuild the estimators, refusing any type outside skops' defaults and TRUSTED_TYPES."""
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    try:  # loads refuses any type not trusted, before it builds anything
        obj = sio.loads(blob, trusted=list(TRUSTED_TYPES))
    except UntrustedTypesFoundException:
        # listing them walks the archive once more: only for the message
        foreign = sorted(set(sio.get_untrusted_types(data=blob)) - set(TRUSTED_TYPES))
        raise SchemaError(f"{path}: refused, the model file holds types curation does not "
                          f"trust: {', '.join(foreign)}; {_NOT_A_MODEL}") from None
    except Exception as exc:  # skops raises several types on malformed input
        raise SchemaError(f"{path}: the estimators are not a valid skops archive, or could not "
                          f"be rebuilt ({type(exc).__name__}: {exc}); {_NOT_A_MODEL}") from None
    if not isinstance(obj, dict):
        raise SchemaError(f"{path}: the estimators are not a mapping; {_NOT_A_MODEL}")
    return obj
