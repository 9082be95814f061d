"""Feature groups: the default features carry across sites (class names are not among them),
site-wide features come from the run's pages and are defined for a page alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from curation.config import load_config
from curation.gold import iter_gold
from curation.model.cleaner import rule_names
from curation.model.data import label_gold
from curation.model.features import (
    DEFAULT_GROUPS,
    DENSE_NAMES,
    GROUPS,
    FeatureConfig,
    SiteCounts,
    _norm_text,
    featurize,
    text_norms,
)
from curation.stats import Stats


def _table(gold: Path) -> tuple[pa.Table, list[str]]:
    cfg = load_config()
    pages = list(iter_gold(gold, cfg.labels, Stats()))
    return label_gold(pages, cfg).table, rule_names(cfg)


def _dense(x, name: str) -> np.ndarray:
    col = x.shape[1] - len(DENSE_NAMES) + DENSE_NAMES.index(name)
    return np.asarray(x[:, col].todense()).ravel()


def test_default_features_ignore_class_names(synthetic_gold: Path):
    table, names = _table(synthetic_gold)
    attrs = ["zz-" + (a or "") for a in table.column("attrs").to_pylist()]
    renamed = table.set_column(table.schema.get_field_index("attrs"), "attrs", pa.array(attrs))
    assert "classes" not in DEFAULT_GROUPS
    base = featurize(table, FeatureConfig(), names)
    assert (featurize(renamed, FeatureConfig(), names) != base).nnz == 0
    with_classes = FeatureConfig(groups=(*DEFAULT_GROUPS, "classes"))
    assert (featurize(renamed, with_classes, names) != featurize(table, with_classes, names)).nnz


def test_site_wide_template_repetition_and_a_page_alone(synthetic_gold: Path):
    table, names = _table(synthetic_gold)
    x = featurize(table, FeatureConfig(), names)
    texts = table.column("text").to_pylist()
    home = texts.index("Home")  # the menu's template is on every page of the site
    assert _dense(x, "template_site")[home] == 1.0
    first = table.slice(0, table.column("page_id").to_pylist().count(table["page_id"][0].as_py()))
    alone = featurize(first, FeatureConfig(), names)
    assert alone.shape[1] == x.shape[1]
    assert not _dense(alone, "template_site").any() and not _dense(alone, "cross_page").any()
    run_inside = _dense(alone, "run_inside")
    assert run_inside[texts.index("Home")] == 0 and run_inside.sum() >= 4  # the story's paragraphs


def test_site_counts_from_given_norms_are_those_of_the_texts(synthetic_gold: Path):
    table, _ = _table(synthetic_gold)
    texts = table.column("text").to_pylist()
    own = SiteCounts().add(table)
    given = SiteCounts().add(table, [_norm_text(t or "") for t in texts])
    assert own.pages == given.pages and own.texts == given.texts
    site = next(iter(own.pages))
    assert own.text_pages(site, _norm_text("Home")) == own.pages[site] > 1  # the menu


def test_a_runs_norms_made_once_give_the_same_features(synthetic_gold: Path):
    """The model step normalises a batch's texts once (`text_norms`) for its cross-page
    counts and every chunk's features: the same matrix as each chunk normalising its own."""
    table, names = _table(synthetic_gold)
    row_norms, norms = text_norms(table)
    texts = table.column("text").to_pylist()
    assert row_norms == [_norm_text(t or "") for t in texts]
    assert norms == {t or "": _norm_text(t or "") for t in texts}
    counts = SiteCounts().add(table, row_norms)
    chunk = table.slice(3, table.num_rows - 3)
    own = featurize(chunk, FeatureConfig(), names, counts)
    given = featurize(chunk, FeatureConfig(), names, counts, norms)
    assert own.shape == given.shape and (own != given).nnz == 0
    with pytest.raises(KeyError):  # norms that miss a text of the table are a caller's bug
        featurize(chunk, FeatureConfig(), names, counts, {})


def test_a_group_left_out_adds_nothing_and_keeps_the_width(synthetic_gold: Path):
    table, names = _table(synthetic_gold)
    full = featurize(table, FeatureConfig(), names)
    fewer = FeatureConfig(groups=tuple(g for g in DEFAULT_GROUPS if g not in ("headings", "chars")))
    x = featurize(table, fewer, names)
    assert x.shape == full.shape
    assert not _dense(x, "heading_level_before").any()
    assert _dense(full, "heading_level_before").any()
    chars = slice(fewer.token_features, fewer.token_features + fewer.char_features)
    assert x[:, chars].nnz == 0 and full[:, chars].nnz > 0
    assert FeatureConfig().digest(names) != fewer.digest(names)


def test_unknown_group_is_refused_and_groups_survive_json():
    with pytest.raises(ValueError, match="unknown feature groups"):
        FeatureConfig(groups=("chars", "css"))
    assert FeatureConfig(groups=list(GROUPS)).groups == GROUPS  # type: ignore[arg-type]
