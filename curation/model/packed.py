"""Gradient-boosted trees stored as one node array per ensemble.

skops stores each tree of a HistGradientBoosting model as an object of three arrays, each read
back with its own header parse and audit: the packaged cleaner's 860 trees are ~2,600 arrays
and took ~1 CPU-s to load, in every process that labels (each worker loads the model). Packed,
an ensemble is its estimator without trees, one structured array of every tree's nodes and
the trees' sizes; loading rebuilds the trees as views of slices of that array. The trees are
the same nodes, so predictions are equal bit for bit (tests/model/test_packed.py)."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

# the key of an estimator's packed trees in a model file: "<estimator key>" + TREES
TREES = "_trees"


def _has_plain_trees(est: Any) -> bool:
    """A fitted HistGradientBoosting estimator whose trees split on no categorical feature
    (their category bitsets are empty: all of ours)."""
    predictors = getattr(est, "_predictors", None)
    if not predictors:
        return False
    return all(len(t.binned_left_cat_bitsets) == 0 and len(t.raw_left_cat_bitsets) == 0
               for trees in predictors for t in trees)


def pack_trees(est: Any) -> tuple[Any, dict[str, Any] | None]:
    """*est* without its trees and the trees packed (None, *est* as it is: not such a model)."""
    if not _has_plain_trees(est):
        return est, None
    trees = [t for iteration in est._predictors for t in iteration]
    bare = copy.copy(est)
    bare._predictors = []
    packed = {
        "nodes": np.concatenate([t.nodes for t in trees]),
        "sizes": np.array([len(t.nodes) for t in trees], dtype=np.int64),
        "per_iteration": len(est._predictors[0]),
        "bitset_dtype": str(trees[0].binned_left_cat_bitsets.dtype),
    }
    return bare, packed


def unpack_trees(bare: Any, packed: dict[str, Any]) -> Any:
    """The estimator *bare* with the trees of *packed* (pack_trees' two parts) put back."""
    from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor

    nodes = packed["nodes"]
    sizes = np.asarray(packed["sizes"], dtype=np.int64)
    per_iteration = int(packed["per_iteration"])
    if sizes.sum() != len(nodes) or per_iteration < 1 or len(sizes) % per_iteration:
        raise ValueError(f"packed trees do not add up: {len(sizes)} trees of "
                         f"{int(sizes.sum())} nodes in {len(nodes)}, {per_iteration} an iteration")
    no_bits = np.zeros((0, 8), dtype=np.dtype(str(packed["bitset_dtype"])))
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).tolist()
    trees = [TreePredictor(nodes[a : a + n], no_bits, no_bits)
             for a, n in zip(starts, sizes.tolist(), strict=True)]
    est = copy.copy(bare)
    est._predictors = [trees[i : i + per_iteration] for i in range(0, len(trees), per_iteration)]
    return est
