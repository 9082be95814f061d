"""The dataset card: a Hugging Face YAML header that `datasets.load_dataset` reads (splits,
features with `label` as a ClassLabel) and a body with counts and how the data was made."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import pyarrow as pa
import yaml

from curation.config import RunConfig
from curation.schema import DATASET_SCHEMA
from curation.version import __version__

COLUMN_DOCS = {
    "text": "the segment's text",
    "label": "final label (ClassLabel over the labels above)",
    "label_source": "where the label came from: human (Label Studio), model or rule (pre-label)",
    "article_part": "of an article segment: body (running text) or meta (headline, byline, "
    "dateline, credit lines; not in extraction benchmarks' main text); null otherwise",
    "confidence": "confidence of the pre-label (0-1)",
    "page_id": "id of the page the segment came from",
    "segment_id": "`{page_id}:{position}`",
    "position": "index of the segment in its page",
    "url": "page URL",
    "domain": "page domain; splits never share one",
    "lang": "page language code",
    "start": "start offset of the segment in the page text",
    "end": "end offset of the segment in the page text",
    "tag_path": "HTML tag path of the block (null for text dumps)",
    "link_density": "share of the segment's characters inside links",
    "annotators": "number of annotators who labelled it (0: none)",
    "agreement": "share of annotators who gave the final label",
    "split": "the split the row is in (train, validation, test, ...)",
}
_LANG_CODE = re.compile(r"^[a-z]{2,3}$")
# what each built-in label means (the taxonomy the rules and the labelling screen follow)
LABEL_DEFINITIONS = {
    "article": "the main content: headline, body paragraphs, sub-heads, byline or dateline of "
    "the main story",
    "caption": "text describing an image or video of the main content: captions, alt text, "
    "photo credits",
    "ad": "advertising and self-promotion: ads, sponsored blocks, follow-us, newsletter and app "
    "promos",
    "comment_ui": "the comments area: forms and messages for commenting, comment counts, user "
    "comments",
    "joke": "joke or humour widgets, with their own chrome",
    "teaser": "links to other articles: related and most-read lists, teaser cards (title, "
    "category, time, lead)",
    "other": "everything else that is not content: navigation, footers, legal, cookie banners, "
    "share buttons, tags, search",
}


def _human_section(cfg: RunConfig, figures: Mapping[str, Any]) -> list[str]:
    if not figures.get("human"):
        return []
    lines = ["## Human labels", "",
             f"{figures['human']} segments carry a label given by people in Label Studio; "
             f"{figures['multi']} were labelled by two or more annotators"
             + (f", who agreed on {figures['mean_agreement']:.1%} of the labels on average "
                "(the `agreement` column)" if figures["mean_agreement"] is not None else "")
             + "."]
    report = cfg.resolve(cfg.output) / "labelstudio" / "agreement.json"
    if report.is_file():  # what the last `curation tasks pull` measured over every annotation
        agree = json.loads(report.read_text(encoding="utf-8"))
        figures_line = ", ".join(f"{k} {agree[k]}" for k in
                                 ("kappa_method", "kappa", "krippendorff_alpha", "annotators")
                                 if agree.get(k) is not None)
        if figures_line:
            lines += ["", f"Inter-annotator agreement at the last pull: {figures_line}."]
    return [*lines, ""]


def features_yaml(labels: list[str]) -> list[dict[str, Any]]:
    """DATASET_SCHEMA as `dataset_info.features`, with `label` a class_label over *labels*."""
    out: list[dict[str, Any]] = []
    for field in DATASET_SCHEMA:
        if field.name == "label":
            names = {str(i): name for i, name in enumerate(labels)}
            out.append({"name": "label", "dtype": {"class_label": {"names": names}}})
        else:
            out.append({"name": field.name, "dtype": hf_dtype(field.type)})
    return out


def hf_dtype(t: pa.DataType) -> str:
    """The datasets `Value` dtype name of a primitive Arrow type (pyarrow says "float")."""
    if pa.types.is_string(t):
        return "string"
    if pa.types.is_floating(t):
        return f"float{t.bit_width}"
    if pa.types.is_integer(t):
        return f"{'' if pa.types.is_signed_integer(t) else 'u'}int{t.bit_width}"
    if pa.types.is_boolean(t):
        return "bool"
    raise TypeError(f"no dataset-card dtype for {t}; add one to publish/card.py")


def _label_definitions(cfg: RunConfig) -> list[str]:
    """One line per published label: its meaning, or (a user's own label) the built-in labels it
    covers and theirs."""
    if not cfg.label_map:
        return [f"- `{lab}`: {LABEL_DEFINITIONS.get(lab, 'defined by the config of this dataset')}"
                for lab in cfg.labels]
    lines = ["Each label covers built-in labels of `curation` (the labels its rules vote with):",
             ""]
    for user, members in cfg.label_map.items():
        lines.append(f"- `{user}`: covers " + ", ".join(f"`{b}`" for b in members))
        lines += [f"  - `{b}`: {LABEL_DEFINITIONS[b]}" for b in members]
    return lines


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _per_split(title: str, counts: Mapping[str, Mapping[str, int]], splits: list[str],
               keys: list[str]) -> str:
    rows = [[k, *(counts[s].get(k, 0) for s in splits), sum(counts[s].get(k, 0) for s in splits)]
            for k in keys]
    return _table([title, *splits, "total"], rows)


def _near_duplicates_note(found: Mapping[str, Any] | None) -> list[str]:
    """The near-duplicate clusters found before splitting (curation.dedup), when known."""
    if not found:
        return []
    return [f"Near-duplicate clusters (MinHash LSH, estimated Jaccard >= {found['threshold']}): "
            f"{found['clusters']}, holding {found['pages_in_clusters']} pages (the largest "
            f"{found['largest']}); all pages of a cluster are in one split.", ""]


def render_card(cfg: RunConfig, summary: Mapping[str, Any],
                figures: Mapping[str, Any] | None = None) -> str:
    """README.md text for a published dataset described by *summary* (see publish_dataset);
    with *figures* (pages per split, and `human`, `multi`, `mean_agreement`: segments labelled
    by people, by two or more, their mean agreement) also those."""
    splits: list[str] = list(summary["splits"])
    figures = figures or {}
    pages: Mapping[str, int] = figures.get("pages", {})
    label_counts: Mapping[str, Mapping[str, int]] = summary["labels_per_split"]
    lang_counts: Mapping[str, Mapping[str, int]] = summary["langs_per_split"]
    source_counts: Mapping[str, Mapping[str, int]] = summary["label_sources_per_split"]
    langs = sorted({k for c in lang_counts.values() for k in c})
    fractions = ", ".join(f"{s} {f:g}" for s, f in cfg.publish.splits.items())
    body = [
        f"# {cfg.publish.name}",
        "",
        "Segments of scraped web pages (blocks of the DOM, or lines and paragraphs of text "
        "dumps), each labelled with the page component it belongs to, for training "
        "boilerplate cleaners. Made with `curation` " + __version__ + ".",
        "",
        "```python",
        "from datasets import load_dataset",
        'ds = load_dataset("path/to/this/folder")',
        'ds["train"].features["label"].int2str(0)  # ' + repr(cfg.labels[0]),
        "```",
        "",
        "## Source and licence",
        "",
        f"- source: {cfg.publish.source or 'not stated (publish.source in the config)'}",
        f"- licence: {cfg.publish.license or 'not stated (publish.license in the config)'}",
        "",
        "## Splits",
        "",
        "Split by site: all segments of one domain (or of one page without a domain) are in "
        f"one split. Target fractions: {fractions}.",
        "",
        _table(["split", "segments", "pages", "sites/pages"],
               [[s, summary["splits"][s], pages.get(s, "?"), summary["groups"][s]]
                for s in splits]
               + [["total", summary["rows"], sum(pages.values()) if pages else "?",
                   sum(summary["groups"].values())]]),
        "",
        *_near_duplicates_note(summary.get("near_duplicates")),
        "## Labels",
        "",
        *_label_definitions(cfg),
        "",
        _per_split("label", label_counts, splits, cfg.labels),
        "",
        "## Languages",
        "",
        _per_split("lang", lang_counts, splits, langs),
        "",
        "## Label sources",
        "",
        _per_split("label_source", source_counts, splits,
                   sorted({k for c in source_counts.values() for k in c})),
        "",
        *_human_section(cfg, figures),
        *_how_it_was_made(cfg, summary.get("skipped") or {}),
        "## Schema",
        "",
        _table(["column", "type", "description"],
               [[f.name, "class_label" if f.name == "label" else hf_dtype(f.type),
                 COLUMN_DOCS.get(f.name, "")] for f in DATASET_SCHEMA]),
        "",
    ]
    front = yaml.safe_dump(_front_matter(cfg, summary, splits, langs), sort_keys=False,
                           allow_unicode=True)
    return f"---\n{front}---\n\n" + "\n".join(body)


def _front_matter(cfg: RunConfig, summary: Mapping[str, Any], splits: list[str],
                  langs: list[str]) -> dict[str, Any]:
    """The card's YAML header: what the Hugging Face Hub reads (licence, languages, the
    data files of each split, features and sizes)."""
    header: dict[str, Any] = {
        "pretty_name": cfg.publish.name,
        "task_categories": ["text-classification"],
        "tags": ["boilerplate-removal", "web", "curation"],
    }
    if cfg.publish.license:
        header["license"] = cfg.publish.license
    codes = [code for code in langs if _LANG_CODE.match(code)]
    if codes:
        header["language"] = codes
    header["configs"] = [{
        "config_name": "default",
        "data_files": [{"split": s, "path": f"data/{s}-*"} for s in splits],
    }]
    header["dataset_info"] = {
        "features": features_yaml(cfg.labels),
        "splits": [{"name": s, "num_bytes": summary["bytes"][s],
                    "num_examples": summary["splits"][s]} for s in splits],
        "dataset_size": sum(summary["bytes"].values()),
    }
    return header


def _how_it_was_made(cfg: RunConfig, skipped: Mapping[str, int]) -> list[str]:
    """Provenance lines: versions, labels, rules and model, detector, filters, what was left
    out."""
    filters = [f"`{f.name}` {f.params}" if f.params else f"`{f.name}`"
               for f in cfg.filter.filters] or ["(none)"]
    rules = cfg.prelabel.rules if isinstance(cfg.prelabel.rules, str) else \
        ", ".join(cfg.prelabel.rules)
    schema = (DATASET_SCHEMA.metadata or {}).get(b"curation_schema", b"?").decode()
    return [
        "## How it was made",
        "",
        f"- curation {__version__}, schema version {schema}",
        f"- labels: {', '.join(cfg.labels)}",
        f"- pre-label rules: {rules}" + (f"; model: {cfg.prelabel.model}"
                                         if cfg.prelabel.model else ""),
        f"- language detector: {cfg.language.detector}",
        f"- filters, in order: {'; '.join(filters)}",
        "- final label: the human label from Label Studio where annotators gave one, "
        "else the pre-label",
        f"- segments left out at publish time: {dict(skipped) if skipped else 'none'}",
        "",
    ]
