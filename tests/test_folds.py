"""One fold assignment: the cleaner's CV and the calibration report split sites the same way."""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace

import numpy as np

from curation.folds import balanced_folds
from curation.label.calibrate import site_folds


def test_sites_stay_whole_and_folds_even() -> None:
    sizes = Counter({f"s{i}.com": n for i, n in enumerate([40, 30, 20, 10, 10, 5, 5])})
    folds = balanced_folds(sizes, 3)
    assert set(folds) == set(sizes) and set(folds.values()) == {0, 1, 2}
    load = Counter()
    for site, f in folds.items():
        load[f] += sizes[site]
    assert max(load.values()) - min(load.values()) <= 10
    assert balanced_folds(dict(reversed(list(sizes.items()))), 3) == folds  # order-free


def test_calibration_folds_are_the_cleaners() -> None:
    group = np.array(["a.com"] * 6 + ["b.com"] * 4 + ["c.com"] * 3 + ["d.com"] * 2, dtype=object)
    masks = site_folds(SimpleNamespace(group=group), folds=3)  # type: ignore[arg-type]
    fold_of = balanced_folds(Counter(group.tolist()), 3)
    assert len(masks) == 3
    for f, mask in enumerate(masks):
        assert {g for g in group[mask]} == {g for g, k in fold_of.items() if k == f}
    assert np.sum(masks, axis=0).tolist() == [1] * len(group)  # every segment tested once
