"""The on-disk cache of CV inputs: a second run reads what the first stored, and gives the same
segments, targets and features as no cache at all; keys follow the config and features."""

from __future__ import annotations

from pathlib import Path

from curation.config import load_config
from curation.model.cache import PreparedCache, features_key, labelled_key
from curation.model.cv import prepare
from curation.model.features import FeatureConfig
from curation.stats import Stats


def test_cached_inputs_equal_fresh_ones_and_are_not_rebuilt(synthetic_gold: Path, tmp_path: Path):
    cfg = load_config()
    fresh = prepare(synthetic_gold, cfg, [synthetic_gold], stats=Stats())
    cache = PreparedCache(tmp_path / "cache")
    first = prepare(synthetic_gold, cfg, [synthetic_gold], stats=Stats(), cache=cache)
    second = prepare(synthetic_gold, cfg, [synthetic_gold], stats=Stats(), cache=cache)
    for got in (first, second):
        assert len(got.runs) == len(fresh.runs) == 2
        for a, b, xa, xb in zip(got.runs, fresh.runs, got.xs, fresh.xs, strict=True):
            assert a.table.equals(b.table)
            assert a.target == b.target and a.body == b.body and a.group == b.group
            assert list(a.weight) == list(b.weight)
            assert xa.shape == xb.shape and (xa != xb).nnz == 0

    def fail() -> list:
        raise AssertionError("a cached entry was rebuilt")

    key = labelled_key([synthetic_gold, synthetic_gold], cfg.model_dump_json())
    assert len(cache.labelled(key, fail)) == 2
    assert len(list((tmp_path / "cache" / "labelled").iterdir())) == 1
    assert len(list((tmp_path / "cache" / "features").iterdir())) == 1
    assert not list((tmp_path / "cache").rglob("*.tmp"))


def test_keys_follow_config_and_feature_identity(synthetic_gold: Path):
    cfg = load_config()
    a = labelled_key([synthetic_gold], cfg.model_dump_json())
    other = cfg.model_copy(update={"labels": ["article", "other"]})
    assert labelled_key([synthetic_gold], other.model_dump_json()) != a
    shorter = FeatureConfig(char_max_chars=50)
    assert features_key(a, FeatureConfig().digest([])) != features_key(a, shorter.digest([]))
