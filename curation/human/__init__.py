"""Human labels kept by content (page, normalised-text hash, occurrence), so they survive a
re-crawl or a segmentation change; see `curation.human.store`."""
