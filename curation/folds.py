"""Fold assignment for every cross-validation in the project (the cleaner's CV, its inner
threshold and stage folds, the calibration report): groups (sites, `taxonomy.site_of`) stay
whole, so no site is on both sides of a split. Imports nothing from the package."""

from __future__ import annotations

from collections.abc import Mapping


def balanced_folds(sizes: Mapping[str, int], k: int) -> dict[str, int]:
    """Each group's fold: largest groups first onto the lightest fold (deterministic; folds as
    even as the group sizes allow).

    >>> balanced_folds({"a.com": 5, "b.com": 3, "c.com": 2, "d.com": 1}, 2)
    {'a.com': 0, 'b.com': 1, 'c.com': 1, 'd.com': 0}
    """
    load = [0] * k
    out: dict[str, int] = {}
    for g, n in sorted(sizes.items(), key=lambda kv: (-kv[1], str(kv[0]))):
        f = min(range(k), key=lambda i: (load[i], i))
        out[g] = f
        load[f] += n
    return out
