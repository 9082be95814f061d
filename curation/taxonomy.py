"""The project's vocabulary, at ground level: the labels, the parts of an article, the name the
trained model votes under, and what a "site" is. It imports nothing from the package, so every
part (config, rules, filters, model, evaluation, publishing) can share it without a cycle."""

from __future__ import annotations

import re
from functools import lru_cache

from tld import get_fld

# the built-in label set: the codes rules vote with (a config may narrow or rename it)
LABELS: tuple[str, ...] = ("article", "caption", "ad", "comment_ui", "joke", "teaser", "other")
ARTICLE = "article"
OTHER = "other"  # the catch-all a segment without any vote falls back to
# a block gold knows only as boilerplate of some kind (main-text gold, partial labels)
NOT_ARTICLE = "(not article)"

# which part of the story an `article` segment is: its running text, or the apparatus around it
# (headline, standfirst, byline, dateline, credit lines)
BODY, META = "body", "meta"
ARTICLE_PARTS: tuple[str, ...] = (BODY, META)

# the voter name of a trained cleaner in the `votes` column; every other voter is a rule, and
# the `label_source` of a segment only the model's vote backs
MODEL_VOTER = "model"

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")


@lru_cache(maxsize=65536)
def site_of(url_or_group: str | None) -> str:
    """The site of a page: the registered domain (public suffix + one label, lower-cased) of a
    URL, a host name or a gold `group`; the bare host where it has none (an IP, localhost);
    "" when there is no host. CV folds, dataset splits and rule analysis all group by it.

    >>> site_of("https://www.bbc.co.uk/news/1"), site_of("News.Example.com:8080"), site_of(None)
    ('bbc.co.uk', 'example.com', '')
    """
    if not url_or_group:
        return ""
    host = _SCHEME.sub("", url_or_group.strip().lower()).split("/", 1)[0]
    host = host.rsplit("@", 1)[-1].split(":", 1)[0].strip(".")
    if not host:
        return ""
    fld = get_fld(host, fix_protocol=True, fail_silently=True)
    return str(fld) if fld else host.removeprefix("www.")
