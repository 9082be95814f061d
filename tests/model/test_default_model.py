"""The packaged default cleaner: small, loadable, and exactly what the published training
command makes from the shared gold (training is deterministic)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from curation.config import load_config
from curation.defaults import default_model_path
from curation.gold import iter_gold, page_record
from curation.label import rule_label_pages
from curation.model.apply import apply_model
from curation.model.body import rows_of
from curation.model.cleaner import load
from curation.model.default import GOLD_FILES, train_default, training_command
from curation.stats import Stats

MAX_BYTES = 3_000_000


def test_the_default_cleaner_is_packaged_small_and_loads():
    path = default_model_path()
    assert path is not None and path.is_file()
    assert path.stat().st_size < MAX_BYTES
    cleaner = load(path)
    assert cleaner.stacker is not None and cleaner.body_stage is not None
    assert all(f"--gold ../shared/data/{name}" in training_command() for name in GOLD_FILES)


@pytest.mark.shared_data
def test_the_packaged_cleaner_is_what_the_training_command_makes(
    shared_data: Path, tmp_path: Path
):
    packaged = default_model_path()
    assert packaged is not None
    fresh = tmp_path / "cleaner.model"
    train_default(shared_data, fresh)
    a, b = load(packaged), load(fresh)
    assert a.feature_digest == b.feature_digest and a.labels == b.labels
    cfg = load_config()
    pages = list(iter_gold(shared_data / "gold-taxonomy-dev.jsonl.gz", cfg.labels, Stats()))[:6]
    table = rule_label_pages([page_record(p) for p in pages], cfg)
    x = a.features(table)
    assert np.allclose(a.predict_proba(x), b.predict_proba(x), rtol=0, atol=1e-9)
    assert np.allclose(a.predict_body(x, rows_of(table)), b.predict_body(x, rows_of(table)),
                       rtol=0, atol=1e-9)
    got_a = apply_model(table, a, cfg, "combined").column("prelabel").to_pylist()
    got_b = apply_model(table, b, cfg, "combined").column("prelabel").to_pylist()
    assert got_a == got_b
