"""curation: raw scraped pages -> segments -> pre-labels -> human labels -> Parquet datasets.

The common jobs on one page: `curation.clean(html)` (its main text and meta lines) and
`curation.label_page(html_or_text)` (its segments, labels and confidence); see curation/api.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from curation.version import __version__

__all__ = ["__version__", "clean", "label_page", "rule"]

if TYPE_CHECKING:
    from curation.api import clean, label_page
    from curation.label.rules import rule


def __getattr__(name: str) -> Any:
    # the API loads on first use: `import curation.x` must not pull in the whole pipeline
    if name in ("clean", "label_page"):
        from curation import api

        return getattr(api, name)
    if name == "rule":  # the decorator a user's own rules register with
        from curation.label.rules import rule

        return rule
    raise AttributeError(f"module 'curation' has no attribute {name!r}")
