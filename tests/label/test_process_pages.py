"""process_batch hands back its pages with their languages: the same table whether the batch
keeps its columns (PAGE_SCHEMA) or is rebuilt from page dicts (any other schema)."""

from __future__ import annotations

import pyarrow as pa

from curation.config import RunConfig
from curation.io.ingest import pages_to_batches
from curation.process import process_batch
from curation.schema import PAGE_SCHEMA

_PAGES = [
    {"page_id": "en", "url": "https://a.example/x", "domain": "a.example", "source": "t",
     "lang": None, "format": "html",
     "content": "<p>The council voted on Tuesday to extend the library's opening hours.</p>"},
    {"page_id": "de", "url": None, "domain": None, "source": "t", "lang": "de", "format": "text",
     "content": "Der Gemeinderat hat am Dienstag die Öffnungszeiten verlängert."},
    {"page_id": "empty", "url": None, "domain": None, "source": "t", "lang": None,
     "format": "html", "content": "<html><body></body></html>"},
]


def test_pages_come_back_with_their_languages() -> None:
    cfg = RunConfig()
    batch = next(pages_to_batches(_PAGES, 10))
    assert batch.schema.equals(PAGE_SCHEMA, check_metadata=True)
    kept = process_batch(batch, cfg).pages
    plain = batch.cast(pa.schema([f.with_nullable(True) for f in PAGE_SCHEMA]))  # rebuilt
    rebuilt = process_batch(plain, cfg).pages
    assert kept.schema.equals(PAGE_SCHEMA, check_metadata=True)
    assert kept.equals(rebuilt, check_metadata=True)
    assert kept.column("lang").to_pylist() == ["en", "de", "unknown"]
    assert kept.drop_columns(["lang"]).equals(
        pa.Table.from_batches([batch]).drop_columns(["lang"]))
