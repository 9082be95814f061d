"""curation: raw scraped pages -> segments -> pre-labels -> human labels -> Parquet datasets."""

__version__ = "0.1.0"
