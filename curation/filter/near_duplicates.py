"""Keep one page per near-duplicate cluster (clusters: curation.dedup, found by `curation run`
when it assembles the shards into out/near_duplicates/)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from curation.config import RunConfig
from curation.errors import ConfigError
from curation.filter.base import Params, Verdict, register_filter
from curation.io.atomic import DONE_MARKER, is_complete


class KeepFirst(Params):
    """The first page of each cluster in input order is kept."""

    clusters: Path  # the clusters `curation run` writes: the run's out/near_duplicates/

    FROM_CONFIG: ClassVar[dict[str, str]] = {"clusters": "output (its near_duplicates/)"}

    @classmethod
    def with_config(cls, params: dict[str, Any], cfg: RunConfig) -> dict[str, Any]:
        given = params.get("clusters")
        folder = (cfg.resolve(str(given)) if given is not None
                  else cfg.resolve(cfg.output) / "near_duplicates")
        return {**params, "clusters": folder}


@lru_cache(maxsize=4)
def _copies(folder: Path, version: int) -> pa.Array:
    """Page ids of every cluster member but the first (*version*: the marker's mtime)."""
    table = pq.read_table(folder)
    copies = table.filter(pc.not_equal(table["page_id"], table["cluster"]))
    return copies["page_id"].combine_chunks()


@register_filter("near_duplicates.v1", KeepFirst)
def near_duplicates(table: pa.Table, p: KeepFirst) -> Verdict:
    """Drop the segments of near-copies of an earlier page (MinHash LSH clusters), keeping one
    page per cluster. Needs the clusters that `curation run` writes to out/near_duplicates/."""
    folder = p.clusters
    if not is_complete(folder):
        raise ConfigError(f"filter near_duplicates.v1 needs {folder}, which `curation run` "
                          "writes; run it (or drop the filter)")
    copies = _copies(folder, (folder / DONE_MARKER).stat().st_mtime_ns)
    return pc.invert(pc.is_in(table["page_id"], value_set=copies)), ":copy"
