"""Exported Label Studio tasks -> one validated row per annotator per segment.

The server stores whatever results a client sends (unknown labels, unknown controls), so every
result is checked here against the label set and the task's own segments; a bad one is skipped,
counted and put on the review list with its reason, never guessed. Each row carries the content
key of the text the annotator saw (page, text hash, occurrence), so labels follow their text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from curation.human.store import content_keys
from curation.labelstudio.labelconfig import (
    LINES_CONTROL,
    LINES_OBJECT,
    PAGE_CONTROL,
    PARAGRAPH_CONTROL,
    PARAGRAPH_OBJECT,
    SEGMENT_CONTROL,
)
from curation.labelstudio.lines import html_texts, line_span
from curation.labelstudio.tasks import checksum, hypertext_checksum
from curation.schema import SCHEMA_VERSION
from curation.stats import Stats

STAGE = "labelstudio"

ANNOTATION_SCHEMA = pa.schema(
    [
        pa.field("segment_id", pa.string(), nullable=False),  # as in the task
        pa.field("page_id", pa.string(), nullable=False),
        pa.field("text_hash", pa.string(), nullable=False),
        pa.field("occurrence", pa.int32(), nullable=False),
        pa.field("annotator", pa.string(), nullable=False),
        pa.field("label", pa.string(), nullable=False),
        pa.field("prelabel", pa.string()),  # the prediction the annotator saw (null: none)
        pa.field("changed", pa.bool_()),  # label != prelabel (null when there was no prelabel)
        pa.field("ground_truth", pa.bool_()),
        pa.field("annotation_id", pa.int64()),
        pa.field("task_id", pa.int64()),
    ],
    metadata={"curation_schema": SCHEMA_VERSION, "kind": "labelstudio_annotations"},
)


@dataclass(slots=True)
class TaskSegment:
    """One segment of a task, with the content key of its text."""

    segment_id: str
    page_id: str
    url: str | None
    text: str
    text_hash: str
    occurrence: int
    shown_prelabel: str | None = None  # a pre-label named in the line, not drawn as a region


@dataclass(slots=True)
class AnnotationRow:
    """One annotator's label for one segment."""

    segment_id: str
    page_id: str
    text_hash: str
    occurrence: int
    annotator: str
    label: str
    prelabel: str | None
    changed: bool | None
    ground_truth: bool
    annotation_id: int | None
    task_id: int | None
    url: str | None = None
    text: str = ""

    @property
    def item(self) -> tuple[str, str, int]:
        """What was labelled: the same text on the same page, whichever task showed it."""
        return (self.page_id, self.text_hash, self.occurrence)


def task_segments(task: dict[str, Any]) -> tuple[str, list[TaskSegment]] | None:
    """(kind, segments by index) of one of our tasks: kind "page" (segments list), "lines"
    (segments list + its HTML document) or "segment", with "-edited" when the data changed
    after import; None for a foreign task."""
    data = task.get("data") or {}
    pid, url = data.get("page_id"), data.get("url")
    if not isinstance(pid, str):
        return None
    segs = data.get("segments")
    if isinstance(segs, list) and segs and "html" in data and all(
            isinstance(s, dict) and "text" not in s for s in segs):
        return _hypertext_segments(data, segs, pid, url)
    if isinstance(segs, list):  # paragraphs, page, and hypertext tasks made before v2
        try:
            pairs = [(str(s["seg_id"]), str(s["text"])) for s in segs]
        except (TypeError, KeyError):
            return None
        keys = content_keys([t for _, t in pairs])
        # a task holding only some of a page's segments says where each stands among equals
        occs = [s.get("occurrence") if isinstance(s.get("occurrence"), int) else occ
                for s, (_, occ) in zip(segs, keys, strict=True)]
        shown = [s.get("pre") if isinstance(s.get("pre"), str) else None for s in segs]
        out = [TaskSegment(sid, pid, url, text, h, occ, pre)
               for (sid, text), (h, _), occ, pre in zip(pairs, keys, occs, shown, strict=True)]
        html = data.get("html")
        if html is not None:  # the hypertext screen: the document is part of what was shown
            ok = isinstance(html, str) and data.get("checksum") == checksum(
                [*pairs, ("html", html)])
            return ("lines" if ok else "lines-edited", out)
        return ("page" if data.get("checksum") == checksum(pairs) else "page-edited", out)
    sid, text = data.get("segment_id"), data.get("text")
    if isinstance(sid, str) and isinstance(text, str):
        ((h, _),) = content_keys([text])
        occ = data.get("occurrence")
        seg = TaskSegment(sid, pid, url, text, h, occ if isinstance(occ, int) else 0)
        ok = data.get("checksum") == checksum([(sid, text)])
        return ("segment" if ok else "segment-edited", [seg])
    return None


def _hypertext_segments(data: dict[str, Any], segs: list[dict[str, Any]], pid: str,
                        url: Any) -> tuple[str, list[TaskSegment]] | None:
    """A hypertext task whose lines leave their texts to its HTML: read them back from the
    document, which must still be the one we wrote (the checksum covers it and the keys)."""
    try:
        ids = [f"{pid}:{s['seg']}" if "seg" in s else str(s["seg_id"]) for s in segs]
    except KeyError:
        return None
    html = data.get("html")
    texts = html_texts(html) if isinstance(html, str) else None
    if texts is None or len(texts) != len(segs):
        return ("lines-edited", [TaskSegment(sid, pid, url, "", "", 0) for sid in ids])
    keys = [(h, s["occurrence"] if isinstance(s.get("occurrence"), int) else occ)
            for s, (h, occ) in zip(segs, content_keys(texts), strict=True)]
    ok = data.get("checksum") == hypertext_checksum(ids, keys, str(html))
    out = [TaskSegment(sid, pid, url, text, h, occ,
                       s.get("pre") if isinstance(s.get("pre"), str) else None)
           for sid, text, (h, occ), s in zip(ids, texts, keys, segs, strict=True)]
    return ("lines" if ok else "lines-edited", out)


def _labels_of(item: dict[str, Any]) -> list[str] | None:
    value = item.get("value")
    if not isinstance(value, dict):
        return None
    for key in ("choices", "paragraphlabels", "hypertextlabels"):
        if key in value:
            found = value[key]
            return found if isinstance(found, list) else None
    return None


_RESULT_TYPES = ("choices", "paragraphlabels", "hypertextlabels")


def _span(item: dict[str, Any], kind: str, texts: list[str]) -> range | None:
    """The segment indices one result item covers; None when it names no segment of the task.
    *texts*: the task's segment texts, in order."""
    name, to, n = item.get("from_name"), item.get("to_name"), len(texts)
    if kind == "segment":
        return range(1) if name == SEGMENT_CONTROL and to == "text" else None
    if kind == "lines":
        value = item.get("value")
        if (item.get("type") != "hypertextlabels" or name != LINES_CONTROL or to != LINES_OBJECT
                or not isinstance(value, dict)):
            return None
        return line_span(value, texts)
    if item.get("type") == "paragraphlabels" and name == PARAGRAPH_CONTROL \
            and to == PARAGRAPH_OBJECT:
        value = item.get("value") or {}
        try:  # the UI sends paragraph indices as strings
            lo, hi = int(value["start"]), int(value["end"])
        except (KeyError, TypeError, ValueError):
            return None
        return range(lo, hi + 1) if 0 <= lo <= hi < n else None
    m = PAGE_CONTROL.match(name or "")
    if item.get("type") != "choices" or not m or to != f"seg_{m.group(1)}":
        return None
    i = int(m.group(1))
    return range(i, i + 1) if i < n else None


def prediction_labels(task: dict[str, Any], kind: str, model_version: str,
                      texts: list[str]) -> dict[int, str]:
    """Segment index -> pre-label of our prediction in the task (full predictions only).
    *texts*: the task's segment texts, in order."""
    preds = [p for p in task.get("predictions") or [] if isinstance(p, dict)]
    ours = [p for p in preds if p.get("model_version") == model_version] or preds[:1]
    out: dict[int, str] = {}
    for item in (ours[0].get("result") or []) if ours else []:
        span, labs = _span(item, kind, texts), _labels_of(item)
        if span is not None and labs:
            out.update(dict.fromkeys(span, labs[0]))
    return out


def annotator_of(ann: dict[str, Any], names: dict[int, str]) -> str:
    who = ann.get("completed_by")
    if isinstance(who, dict):
        return str(who.get("email") or who.get("id"))
    return names.get(who, str(who)) if isinstance(who, int) else str(who)


class Problems:
    """Skips: counted in the stats and listed, every one, for the review file."""

    def __init__(self, stats: Stats) -> None:
        self.stats = stats
        self.entries: list[dict[str, Any]] = []

    def __call__(self, reason: str, task_id: Any, detail: str, **extra: Any) -> None:
        self.stats.skip(STAGE, reason, f"task {task_id}", detail)
        self.entries.append({"reason": reason, "task_id": task_id, "detail": detail, **extra})


def parse_tasks(tasks: list[dict[str, Any]], labels: list[str], model_version: str,
                problems: Problems, names: dict[int, str] | None = None,
                prelabels: dict[str, str | None] | None = None) -> list[AnnotationRow]:
    """Validate every annotation result; return the good ones as rows (bad: skipped, listed).
    *prelabels* (segment_id -> pre-label of the run) fill in when the export lacks predictions."""
    names, allowed, rows, prelabels = names or {}, set(labels), [], prelabels or {}
    stats = problems.stats
    for task in tasks:
        tid = task.get("id")
        anns = [a for a in task.get("annotations") or [] if isinstance(a, dict)]
        shape = task_segments(task)
        if shape is None:
            for a in anns:
                problems("foreign_task", tid, f"annotation {a.get('id')}: task data has no "
                         "page_id with segments or segment_id")
            continue
        kind, segs = shape
        if kind.endswith("-edited"):
            for a in anns:
                problems("task_edited", tid, f"annotation {a.get('id')}: task data changed "
                         "after import (checksum differs); re-push the page",
                         page_id=segs[0].page_id if segs else None)
            continue
        stats.add(STAGE, "tasks")
        preds = prediction_labels(task, kind, model_version, [s.text for s in segs])
        latest: dict[str, dict[str, Any]] = {}
        for a in sorted(anns, key=lambda a: (str(a.get("updated_at") or ""), a.get("id") or 0)):
            if a.get("was_cancelled"):
                problems("cancelled", tid, f"annotation {a.get('id')} was skipped")
                continue
            who = annotator_of(a, names)
            if who in latest:
                stats.add(STAGE, "superseded_annotations")
            latest[who] = a
        for who, a in latest.items():
            chosen = annotation_labels(a, kind, segs, allowed, problems, tid)
            chosen.update(accepted_lines(segs, chosen, preds, allowed, problems, tid))
            stats.add(STAGE, "annotations")
            for i, lab in sorted(chosen.items()):
                s = segs[i]
                pre = preds.get(i, s.shown_prelabel or prelabels.get(s.segment_id))
                rows.append(AnnotationRow(
                    s.segment_id, s.page_id, s.text_hash, s.occurrence, who, lab, pre,
                    None if pre is None else lab != pre, bool(a.get("ground_truth")),
                    a.get("id"), tid, s.url, s.text))
            if len(chosen) < len(segs):
                stats.add(STAGE, "segments_left_unlabelled", len(segs) - len(chosen))
    return rows


def accepted_lines(segs: list[TaskSegment], chosen: dict[int, str], preds: dict[int, str],
                   allowed: set[str], problems: Problems, tid: Any) -> dict[int, str]:
    """Lines whose pre-label was named in the line (no region) and that the annotator left
    without a region: submitted as they were shown, so the pre-label is accepted."""
    out: dict[int, str] = {}
    for i, s in enumerate(segs):
        if s.shown_prelabel is None or i in chosen or i in preds:
            continue
        if s.shown_prelabel not in allowed:
            problems("unknown_label", tid, f"line {i}: pre-label {s.shown_prelabel!r} not in "
                     f"{sorted(allowed)}", segment_id=s.segment_id)
            continue
        out[i] = s.shown_prelabel
    return out


def annotation_labels(ann: dict[str, Any], kind: str, segs: list[TaskSegment],
                      allowed: set[str], problems: Problems, tid: Any) -> dict[int, str]:
    """Segment index -> label of one annotation. A region the annotator drew or changed wins
    over an untouched pre-label region under it (one drag relabels a run); two of the
    annotator's own regions with different labels on one segment are a conflict, skipped."""
    aid = ann.get("id")
    own: dict[int, set[str]] = {}
    kept: dict[int, set[str]] = {}
    for item in ann.get("result") or []:
        if not isinstance(item, dict) or item.get("type") not in _RESULT_TYPES:
            problems("not_a_label", tid, f"annotation {aid}: {str(item)[:200]}")
            continue
        span, labs = _span(item, kind, [s.text for s in segs]), _labels_of(item)
        if span is None:
            problems("unknown_segment", tid, f"annotation {aid}: {item.get('from_name')}->"
                     f"{item.get('to_name')} {str(item.get('value'))[:80]} is no segment of "
                     "the task")
            continue
        if not labs or len(labs) != 1:
            problems("not_one_label", tid, f"annotation {aid}: segments {span.start}.."
                     f"{span.stop - 1}: {labs}")
            continue
        if labs[0] not in allowed:
            problems("unknown_label", tid, f"annotation {aid}: {labs[0]!r} not in "
                     f"{sorted(allowed)}", segment_id=segs[span.start].segment_id)
            continue
        target = kept if item.get("origin") == "prediction" else own
        for i in span:
            target.setdefault(i, set()).add(labs[0])
    out: dict[int, str] = {}
    for i in sorted(own.keys() | kept.keys()):
        found = own.get(i) or kept[i]
        if len(found) > 1:
            problems("conflicting_labels", tid, f"annotation {aid}: {segs[i].segment_id} "
                     f"labelled {sorted(found)} at once", segment_id=segs[i].segment_id,
                     page_id=segs[i].page_id)
            continue
        out[i] = next(iter(found))
    return out


def rows_table(rows: list[AnnotationRow]) -> pa.Table:
    """The rows as an ANNOTATION_SCHEMA table."""
    cols = {f.name: [getattr(r, f.name) for r in rows] for f in ANNOTATION_SCHEMA}
    return pa.table(cols, schema=ANNOTATION_SCHEMA)
