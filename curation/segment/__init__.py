"""Segmentation: a page becomes ordered, non-empty, non-overlapping blocks with offsets."""

from curation.segment.core import segment_page, segment_pages

__all__ = ["segment_page", "segment_pages"]
