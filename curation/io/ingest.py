"""Ingest stage: raw inputs -> PAGE_SCHEMA record batches of `batch_pages` pages."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any

import pyarrow as pa

from curation.config import RunConfig
from curation.errors import ConfigError
from curation.io.readers import BUILTIN_SAMPLES, iter_pages
from curation.io.remote import is_url
from curation.schema import PAGE_SCHEMA
from curation.stats import Stats


def input_paths(cfg: RunConfig) -> list[str]:
    """The configured inputs, relative paths and globs taken from the config file's folder
    (urls and built-in inputs as they are)."""
    return [
        spec if spec.startswith("builtin:") or is_url(spec)
        else str(cfg.resolve(os.path.expanduser(spec)))
        for spec in cfg.input.paths
    ]


def pages_to_batches(pages: Iterable[dict[str, Any]], batch_pages: int) -> Iterator[pa.RecordBatch]:
    """Group page dicts into PAGE_SCHEMA record batches of at most *batch_pages* rows."""
    if batch_pages < 1:
        raise ConfigError(f"batch_pages must be >= 1, got {batch_pages}")
    buf: list[dict[str, Any]] = []
    for page in pages:
        buf.append(page)
        if len(buf) >= batch_pages:
            yield pa.RecordBatch.from_pylist(buf, schema=PAGE_SCHEMA)
            buf = []
    if buf:
        yield pa.RecordBatch.from_pylist(buf, schema=PAGE_SCHEMA)


def ingest(cfg: RunConfig, stats: Stats) -> Iterator[pa.RecordBatch]:
    """Read every configured input and yield PAGE_SCHEMA batches; bad pages are counted skips."""
    return pages_to_batches(iter_pages(input_paths(cfg), cfg.input, stats), cfg.batch_pages)


__all__ = ["BUILTIN_SAMPLES", "ingest", "input_paths", "pages_to_batches"]
