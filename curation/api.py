"""The Python API for one page at a time: `curation.clean(html)` and `curation.label_page(page)`.

Both work after a plain install: they label with the built-in defaults, the config
`curation run` uses too: the packaged rules, cue words and calibration, and the packaged trained
cleaner voting with them when the install ships one (`curation.defaults.default_model_path()`).
A config of your own (a path or a `RunConfig`) replaces all of that (`prelabel.model: null`:
the rules alone); `model=` names a model file either way."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from curation.config import RunConfig, load_config

# markup at the start, or any of the tags a web page cannot do without: HTML, else plain text
_LOOKS_LIKE_HTML = re.compile(r"^\s*<|<(?:html|body|div|p|br|article|span)\b", re.IGNORECASE)


@dataclass(frozen=True)
class LabelledSegment:
    """One segment of a page, in reading order, with its label and how sure it is."""

    text: str
    label: str  # one of the config's labels (article, caption, ad, comment_ui, ...)
    confidence: float  # calibrated: P(label right) (`curation rules calibrate`)
    article_part: str | None  # of an article segment: "body" (running text) or "meta"
    start: int | None  # offsets into the page text
    end: int | None


@dataclass(frozen=True)
class CleanText:
    """A page's main text (`body`, the story's running text) and its `meta` lines (headline,
    byline, dateline, credits), each joined by newlines; empty when the page has none."""

    body: str
    meta: str


@lru_cache(maxsize=8)
def _config(config: str | None) -> RunConfig:
    return load_config(config)  # None: the built-in defaults, the packaged cleaner voting


def _with_model(cfg: RunConfig, model: str | Path) -> RunConfig:
    pre = cfg.prelabel.model_copy(update={"model": str(Path(model).resolve())})
    return cfg.model_copy(update={"prelabel": pre})


def label_page(
    page: str,
    *,
    url: str | None = None,
    lang: str | None = None,
    format: Literal["html", "text"] | None = None,
    config: RunConfig | str | Path | None = None,
    model: str | Path | None = None,
) -> list[LabelledSegment]:
    """Split *page* (HTML, or a plain-text dump: told apart by its markup unless *format* says)
    into segments and label each one. *lang* skips language identification; *config* replaces
    the built-in defaults (and the packaged cleaner), *model* names the cleaner that votes."""
    from curation.process import label_pages

    if isinstance(config, RunConfig):
        cfg = config
    else:
        cfg = _config(None if config is None else str(Path(config).resolve()))
    if model is not None:
        cfg = _with_model(cfg, model)
    fmt = format or ("html" if _LOOKS_LIKE_HTML.search(page) else "text")
    record = {"page_id": "page", "url": url, "domain": None, "source": "curation.label_page",
              "lang": lang, "format": fmt, "content": page}
    table = label_pages([record], cfg)
    return [
        LabelledSegment(text=r["text"], label=r["label"], confidence=float(r["confidence"]),
                        article_part=r["article_part"], start=r["start"], end=r["end"])
        for r in table.select(["text", "label", "confidence", "article_part", "start", "end"])
        .to_pylist()
    ]


def clean(
    page: str,
    *,
    url: str | None = None,
    lang: str | None = None,
    format: Literal["html", "text"] | None = None,
    config: RunConfig | str | Path | None = None,
    model: str | Path | None = None,
) -> CleanText:
    """The main text of *page* without its boilerplate: the `article` segments, split into the
    story's body and its meta lines (see `label_page` for the options)."""
    segments = label_page(page, url=url, lang=lang, format=format, config=config, model=model)
    body = [s.text for s in segments if s.label == "article" and s.article_part != "meta"]
    meta = [s.text for s in segments if s.label == "article" and s.article_part == "meta"]
    return CleanText(body="\n".join(body), meta="\n".join(meta))
