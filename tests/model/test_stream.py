"""Chunked featurisation and streamed training data give the same rows as one whole run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.sparse as sp

from curation.config import load_config
from curation.gold import iter_gold
from curation.model.cleaner import rule_names
from curation.model.data import label_gold
from curation.model.features import DENSE_NAMES, FeatureConfig, featurize
from curation.model.stream import featurize_chunked, gold_matrix, labelled_matrix, page_slices
from curation.stats import Stats


def _same(a: sp.csr_matrix, b: sp.csr_matrix) -> bool:
    return a.shape == b.shape and abs(a - b).max() < 1e-12


def test_chunked_features_equal_whole_run_features(synthetic_gold: Path):
    cfg = load_config()
    pages = list(iter_gold(synthetic_gold, cfg.labels, Stats()))
    table = label_gold(pages, cfg).table
    names, fcfg = rule_names(cfg), FeatureConfig()
    whole = featurize(table, fcfg, names)
    # chunks of ~2 pages: cross-page repetition must still be counted over all 18 pages
    slices = list(page_slices(table, max_rows=30))
    assert len(slices) > 5 and slices[-1][1] == table.num_rows
    chunked = featurize_chunked(table, fcfg, names, max_rows=30)
    assert _same(whole, chunked)
    cross = whole.shape[1] - len(DENSE_NAMES) + DENSE_NAMES.index("cross_page")
    assert whole[:, cross].max() > 0  # the menu repeats on every page of a site


def test_streamed_gold_matrix_equals_whole_run(synthetic_gold: Path):
    cfg = load_config()
    pages = list(iter_gold(synthetic_gold, cfg.labels, Stats()))
    lab = label_gold(pages, cfg)
    names, fcfg = rule_names(cfg), FeatureConfig()
    keep = np.array([t is not None for t in lab.target])
    whole = featurize(lab.table, fcfg, names)[keep]
    m = gold_matrix([synthetic_gold], cfg, fcfg, names, Stats(), chunk_pages=4)
    assert _same(whole, m.x)
    assert list(m.target) == [t for t in lab.target if t is not None]
    assert m.runs[0]["pages"] == len(pages) and m.runs[0]["sites"] == 6
    # a run held in memory (the --dataset path) gives the same rows
    held = labelled_matrix(lab, fcfg, names)
    assert _same(whole, held.x) and list(held.target) == list(m.target)
    assert held.runs[0]["pages"] == len(pages)


def test_page_held_by_two_gold_files_is_used_once(synthetic_gold: Path, tmp_path: Path):
    cfg = load_config()
    lines = synthetic_gold.read_text(encoding="utf-8").splitlines(keepends=True)
    second = tmp_path / "again.jsonl"
    second.write_text("".join(lines[:3]), encoding="utf-8")
    names, fcfg = rule_names(cfg), FeatureConfig()
    stats = Stats()
    one = gold_matrix([synthetic_gold], cfg, fcfg, names, Stats())
    both = gold_matrix([synthetic_gold, second], cfg, fcfg, names, stats)
    assert both.x.shape == one.x.shape
    assert stats.counts["train"]["duplicate_page_dropped"] == 3


def test_stack_moves_the_parts_into_one_matrix():
    from curation.model.body import Rows
    from curation.model.stream import Matrix, stack

    rng = np.random.default_rng(0)
    xs = [sp.random(n, 30, density=0.2, format="csr", random_state=rng) for n in (5, 1, 7)]
    expected = sp.vstack(xs, format="csr")

    def part(x: sp.csr_matrix) -> Matrix:
        n = x.shape[0]
        z = np.zeros(n, dtype=object)
        return Matrix(x.copy(), z, np.ones(n), z, z, Rows(np.zeros(n, dtype=np.int64),
                                                          np.zeros(n, dtype=np.int64)),
                      np.ones((n, 2), dtype=np.float32))

    parts = [part(x) for x in xs]
    m = stack(parts, FeatureConfig())
    assert (m.x != expected).nnz == 0 and m.x.shape == (13, 30)
    assert all(p.x.shape[0] == 0 for p in parts)  # moved, not copied
    assert m.rows.page.tolist() == [0] * 5 + [1] + [2] * 7
    assert m.votes.shape == (13, 2)
