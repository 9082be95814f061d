"""What a block's links point to: a social profile (a "follow us" group), a share endpoint (a
share bar), an ad or affiliate network (a sponsored box), or none of these.

The text of such blocks is the same on every site ("Facebook", "Twitter", "$330.00*"), and so
are their class names seldom; where the links go tells them apart: the taxonomy calls a group
of links to the site's own profiles `ad` (self-promotion) and a share bar `other`
(../shared/notes/taxonomy.md). Only well-known endpoints are listed: a link that is none of
them says nothing."""

from __future__ import annotations

import re
from collections.abc import Sequence

FOLLOW, SHARE, AD = "follow", "share", "ad"

# registrable domains (the last two labels of the host, t.me whole)
_SOCIAL = frozenset(str.split(
    "facebook.com fb.com twitter.com x.com instagram.com linkedin.com youtube.com youtu.be "
    "pinterest.com tiktok.com flipboard.com reddit.com tumblr.com vk.com threads.net "
    "snapchat.com twitch.tv soundcloud.com vimeo.com telegram.me t.me whatsapp.com wa.me "
    "getpocket.com addtoany.com sharethis.com ycombinator.com digg.com mix.com"))
# affiliate and ad networks: the link itself is paid for
_AD_HOSTS = frozenset(str.split(
    "shareasale.com amzn.to redirectingat.com linksynergy.com anrdoezrs.net jdoqocy.com "
    "tkqlhce.com dpbolvw.net kqzyfj.com awin1.com pjtra.com pntra.com avantlink.com "
    "skimresources.com doubleclick.net googleadservices.com taboola.com outbrain.com "
    "zergnet.com revcontent.com mgid.com howl.me narrativ.com viglink.com prf.hn "
    "tradedoubler.com webgains.com sjv.io ojrq.net clickbank.net ebay.to"))
_HOST = re.compile(r"(?:https?:)?//([^/?#:]+)(?::\d+)?(.*)", re.IGNORECASE | re.DOTALL)
# share dialogs, by their path on the network's host (a profile on the same host is not one)
_SHARE_PATH = re.compile(
    r"/(?:sharer|share\b|share\.php|dialog/(?:share|feed)|intent/(?:tweet|post)|home\?status"
    r"|sharearticle|sharing/|cws/share|pin/create|submit|widgets/share|send\b|\?text="
    r"|bookmarklet|save\b|add_to|add\b)", re.IGNORECASE)
_SHARE_HOSTS = frozenset(("addtoany.com", "sharethis.com", "getpocket.com", "digg.com",
                          "mix.com", "ycombinator.com"))  # nothing to follow there
# a profile: the first path step is a name (or company/, channel/ ... and a name), not a
# post, a video, a search or a dialog
_PROFILE_PATH = re.compile(
    r"/(?!(?:watch|status|hashtag|search|share|sharer|intent|dialog|p|reel|reels|video|videos"
    r"|embed|playlist|events|photo|photos|permalink|story|r|comments|posts|home|login|signup"
    r"|send)\b)"
    r"(?:(?:company|channel|c|user|in|pages|school|showcase)/)?@?[\w.-]+/?(?:[?#][^/]*)?$",
    re.IGNORECASE)


def href_kind(href: str) -> str | None:
    """FOLLOW, SHARE or AD for a link to a social profile, a share dialog or an ad or
    affiliate network; None for any other link. A page has ~150 links: the host is looked up
    in sets and only a network's own paths meet a regular expression.

    >>> [href_kind(h) for h in ("https://twitter.com/SmithsonianMag",
    ...     "https://www.facebook.com/sharer/sharer.php?u=x", "https://amzn.to/2qsIAU3",
    ...     "https://www.youtube.com/watch?v=3qQJTUYKmYU", "/author/jane/")]
    ['follow', 'share', 'ad', None, None]
    """
    if not href.startswith(("http", "//", "HTTP")):
        if href.startswith(("mailto:?", "whatsapp:", "sms:")):
            return SHARE  # an e-mail with no address: "share by e-mail"
        return None  # the site's own paths, fragments, javascript:, an address
    m = _HOST.match(href)
    if m is None:
        return None
    host = m.group(1).lower()
    dot = host.rfind(".", 0, host.rfind("."))
    domain = host[dot + 1:] if dot >= 0 else host
    if domain in _SOCIAL:
        path = m.group(2)
        if domain in _SHARE_HOSTS or _SHARE_PATH.match(path):
            return SHARE
        return FOLLOW if _PROFILE_PATH.match(path) else None
    if domain in _AD_HOSTS:
        return AD
    if "amazon." in host and "tag=" in href:
        return AD  # an Amazon associate's link
    return None


_kind_cache: dict[str, str | None] = {}  # links repeat across a site's pages


def _cached_kind(href: str) -> str | None:
    kind = _kind_cache.get(href, "")
    if kind == "":
        kind = href_kind(href)
        if len(_kind_cache) < 200_000:
            _kind_cache[href] = kind
    return kind


def block_link_kind(hrefs: Sequence[str]) -> str | None:
    """The kind most of a block's recognised links share (ties: share, ad, follow); None when
    none is recognised. Links to the same address count once."""
    if len(hrefs) == 1:  # most blocks with links have one
        return _cached_kind(hrefs[0])
    kinds = [k for k in map(_cached_kind, set(hrefs)) if k is not None]
    if len(kinds) <= 1:
        return kinds[0] if kinds else None
    return max((SHARE, AD, FOLLOW), key=kinds.count)  # max keeps the first of a tie
