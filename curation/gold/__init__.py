"""Gold pages: reading and validating gold files (`read`), choosing one copy of a page that
several files hold (`copies`), aligning gold text to our segments (`align`) and the gold label
each of our segments gets (`targets`). Evaluation, rule analysis and model training all read
gold through this package; it imports none of them."""

from curation.gold.copies import best_copies_by_file, gold_pages_with_datasets, read_gold_pages
from curation.gold.read import STAGE, GoldPage, GoldSegment, iter_gold, page_record
from curation.gold.targets import (
    block_target,
    body_targets,
    label_target,
    largest_block_targets,
    majority_targets,
    page_site,
)

__all__ = [
    "STAGE", "GoldPage", "GoldSegment", "best_copies_by_file", "block_target", "body_targets",
    "gold_pages_with_datasets", "iter_gold", "label_target", "largest_block_targets",
    "majority_targets", "page_record", "page_site", "read_gold_pages",
]
