"""Filters: versioned, column-wise keep/drop decisions on segment tables, plus the human-label
join that produces the final `label` they run on."""

from curation.filter import (  # noqa: F401  (registers the filters)
    labels,
    language,
    near_duplicates,
    text,
)
from curation.filter.base import (
    FILTERS,
    REJECT_SCHEMA,
    Bound,
    Filter,
    Params,
    apply_filters,
    bind_filters,
    register_filter,
)
from curation.filter.human import apply_human_labels, load_human_labels

__all__ = [
    "FILTERS", "REJECT_SCHEMA", "Bound", "Filter", "Params", "apply_filters",
    "apply_human_labels", "bind_filters", "load_human_labels",
    "register_filter",
]
