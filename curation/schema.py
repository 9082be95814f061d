"""The Arrow schemas: the single source of truth for every file this package writes."""

from __future__ import annotations

import pyarrow as pa

SCHEMA_VERSION = "2"  # 2: segments gained article_part

PAGE_SCHEMA = pa.schema(
    [
        pa.field("page_id", pa.string(), nullable=False),
        pa.field("url", pa.string()),
        pa.field("domain", pa.string()),
        pa.field("source", pa.string()),  # path[:line] the page came from
        pa.field("lang", pa.string()),
        pa.field("format", pa.string(), nullable=False),  # "text" | "html"
        pa.field("content", pa.string(), nullable=False),  # raw text dump or raw HTML
        pa.field("fetched", pa.string()),  # ISO 8601 fetch time, when the input has one (WARC)
    ],
    metadata={"curation_schema": SCHEMA_VERSION, "kind": "pages"},
)

VOTE_TYPE = pa.struct([("rule", pa.string()), ("label", pa.string())])

SEGMENT_SCHEMA = pa.schema(
    [
        pa.field("segment_id", pa.string(), nullable=False),  # f"{page_id}:{position}"
        pa.field("page_id", pa.string(), nullable=False),
        pa.field("position", pa.int32(), nullable=False),
        pa.field("start", pa.int32()),  # offsets into the page text (see segment/)
        pa.field("end", pa.int32()),
        pa.field("text", pa.string(), nullable=False),
        pa.field("tag_path", pa.string()),
        pa.field("attrs", pa.string()),  # class/id tokens of the block and its ancestors
        pa.field("link_density", pa.float32()),  # share of its text inside <a href> (0..1)
        pa.field("in_main", pa.bool_()),  # inside the page's main-text container (segment/html.py)
        pa.field("after_image", pa.bool_()),  # an image came right before this block
        # what most of its links point to: "follow" (social profiles), "share" (share dialogs),
        # "ad" (ad and affiliate networks), else null (segment/links.py)
        pa.field("link_kind", pa.string()),
        pa.field("url", pa.string()),
        pa.field("domain", pa.string()),
        pa.field("lang", pa.string()),
        pa.field("votes", pa.list_(VOTE_TYPE)),
        pa.field("prelabel", pa.string()),
        pa.field("confidence", pa.float32()),
        pa.field("label", pa.string()),  # final label: human where present, else prelabel
        pa.field("label_source", pa.string()),  # "human" | "model" | "rule"
        # of an article segment: "body" (the running text: what extraction benchmarks call the
        # main text) or "meta" (headline, standfirst, byline, dateline, credit lines); else null
        pa.field("article_part", pa.string()),
        pa.field("annotators", pa.int32()),
        pa.field("agreement", pa.float32()),
    ],
    metadata={"curation_schema": SCHEMA_VERSION, "kind": "segments"},
)

# The published dataset: what a cleaner trains on.
DATASET_COLUMNS = [
    "text",
    "label",
    "label_source",
    "article_part",
    "confidence",
    "page_id",
    "segment_id",
    "position",
    "url",
    "domain",
    "lang",
    "start",
    "end",
    "tag_path",
    "link_density",
    "annotators",
    "agreement",
]
DATASET_SCHEMA = pa.schema(
    # the split a row was published in is a column too: the rows say it when read or mixed
    [*(SEGMENT_SCHEMA.field(name) for name in DATASET_COLUMNS),
     pa.field("split", pa.string(), nullable=False)],
    metadata={"curation_schema": SCHEMA_VERSION, "kind": "dataset"},
)


def check_schema(found: pa.Schema, expected: pa.Schema, what: str) -> None:
    """Raise SchemaError unless *found* has every field of *expected* with the same type."""
    from curation.errors import SchemaError

    for f in expected:
        idx = found.get_field_index(f.name)
        if idx < 0:
            raise SchemaError(f"{what}: column {f.name!r} is missing; was it written by curation?")
        if not found.field(idx).type.equals(f.type):
            raise SchemaError(
                f"{what}: column {f.name!r} is {found.field(idx).type}, expected {f.type}"
            )
    version = (found.metadata or {}).get(b"curation_schema", b"?").decode()
    if version != SCHEMA_VERSION:
        raise SchemaError(
            f"{what}: schema version {version}, this curation writes {SCHEMA_VERSION}"
        )


# Human labels pulled from Label Studio, merged to one row per segment (labelstudio/merge.py).
HUMAN_LABEL_SCHEMA = pa.schema(
    [
        pa.field("segment_id", pa.string(), nullable=False),
        pa.field(
            "label", pa.string()
        ),  # null when the annotators tie (then it is on the review list)
        pa.field("annotators", pa.int32()),
        pa.field("agreement", pa.float32()),  # share of annotators who gave the final label
        pa.field("ground_truth", pa.bool_()),
    ],
    metadata={"curation_schema": SCHEMA_VERSION, "kind": "human_labels"},
)
