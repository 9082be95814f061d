"""Learning a site from a few labelled pages: `curation train --from-model` remembers what a
site's labelled pages say about its templates and repeated texts, for that site only."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from curation.config import load_config
from curation.errors import ConfigError
from curation.gold import iter_gold, page_record
from curation.label import rule_label_pages
from curation.model.adapt import adapt_model, recall, site_memory
from curation.model.apply import apply_model, rule_weights_of
from curation.model.cleaner import load
from curation.stats import Stats

PageMaker = Callable[[str, int, random.Random], dict[str, Any]]


def _footer_as_ad(page: dict[str, Any]) -> dict[str, Any]:
    """The site's own convention: its footer line is labelled `ad`."""
    segs = [dict(s, label="ad") if s["text"].startswith("Copyright") else s
            for s in page["segments"]]
    return {**page, "segments": segs}


def _labels(table: pa.Table) -> dict[str, str]:
    return dict(zip(table.column("text").to_pylist(), table.column("prelabel").to_pylist(),
                    strict=True))


def test_an_adapted_model_follows_the_sites_labels_on_its_other_pages(
    trained_model: Path, make_page: PageMaker, tmp_path: Path
):
    cfg = load_config()
    rng = random.Random(3)
    taught = _footer_as_ad(make_page("newsite.org", 0, rng))
    gold = tmp_path / "mine.jsonl"
    gold.write_text(json.dumps(taught) + "\n", encoding="utf-8")
    out = tmp_path / "adapted.model"
    res = adapt_model(cfg, trained_model, out, gold=[gold])
    assert res["sites"] == ["newsite.org"] and res["keys"] > 0
    adapted = load(out)
    assert set(adapted.site_memory) == {"newsite.org"}
    same_site = make_page("newsite.org", 1, rng)
    other_site = make_page("elsewhere.net", 1, rng)
    for page, footer_label in ((same_site, "ad"), (other_site, None)):
        table = rule_label_pages([page_record(p) for p in iter_gold(_write(tmp_path, page),
                                                                    cfg.labels, Stats())], cfg)
        got = _labels(apply_model(table, adapted, rule_weights_of(cfg), "combined"))
        base = _labels(apply_model(table, load(trained_model), rule_weights_of(cfg), "combined"))
        footer = next(t for t in got if t.startswith("Copyright"))
        assert got[footer] == (footer_label or base[footer])
        assert base[footer] != "ad"


def _write(tmp_path: Path, page: dict[str, Any]) -> Path:
    path = tmp_path / f"{page['page_id'].replace(':', '_')}.jsonl"
    path.write_text(json.dumps(page) + "\n", encoding="utf-8")
    return path


def test_inconsistent_keys_are_not_remembered():
    table = pa.table({
        "domain": ["a.com"] * 4, "url": [None] * 4, "tag_path": ["div>p"] * 4,
        "attrs": ["x"] * 4, "text": ["one", "two", "three", "four"],
    })
    labels = ["article", "other"]
    memory = site_memory(table, ["article", "other", "article", None], labels)
    assert memory["a.com"]["t:div>p|x"] == {"article": 2.0, "other": 1.0}
    proba = np.full((4, 2), 0.5)
    out, hit = recall(table, proba, labels, memory)
    # the template is 2:1, below the share that counts; only the short texts are remembered
    assert hit.tolist() == [True, True, True, False]
    assert np.array_equal(out[3], proba[3])
    assert out[0].argmax() == 0 and out[1].argmax() == 1


def test_adapting_needs_labelled_pages(trained_model: Path, tmp_path: Path):
    with pytest.raises(ConfigError, match="nothing to adapt"):
        adapt_model(load_config(), trained_model, tmp_path / "x.model")
