"""Link-target rules: where a short, link-made block points (segment/links.py) says what it
is when its words ("Facebook", "Twitter", "$330.00*") and class names say nothing."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from curation.label.features import Frame, Mask
from curation.label.rules import rule

_MAX_WORDS = 12


def _link_group(f: Frame, kind: str) -> Mask:
    """Short blocks made mostly of link text whose links are mostly of *kind*."""
    of_kind: Mask = f.link_kind == kind
    return f.is_html & of_kind & (f.n_words <= _MAX_WORDS) & (f.link_density >= 0.5)


@rule("ad.follow_links.v1", "ad", weight=2.0)
def follow_links(f: Frame) -> Mask:
    """Links to social profiles ("Facebook-f Linkedin-in Twitter" to the site's own pages):
    a follow-us group, self-promotion. An author's handle ("@jane", "Jane Doe @jane") is
    their byline, not the site's promotion: text with an "@" is left alone."""
    group = _link_group(f, "follow")
    rows = np.flatnonzero(group)  # few: their texts are read, not the whole column's
    if len(rows):
        texts = f.text.take(pa.array(rows)).to_pylist()
        group[rows[np.fromiter(("@" in t for t in texts), bool, len(rows))]] = False
    return group


@rule("other.share_links.v1", "other", weight=1.5)
def share_links(f: Frame) -> Mask:
    """Links to share dialogs (facebook.com/sharer, twitter.com/intent/tweet): a share bar,
    page furniture, even when its class names are neutral."""
    return _link_group(f, "share")


@rule("ad.network_links.v1", "ad", weight=1.0)
def network_links(f: Frame) -> Mask:
    """Links to an ad or affiliate network (shareasale, amzn.to, Taboola): a sponsored box
    or a deals widget. Weight 1: a story's own list of products links to shops the same way
    (the taxonomy calls those lists article), so the vote leans, it does not decide."""
    return _link_group(f, "ad")
