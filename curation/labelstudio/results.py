"""Exported Label Studio tasks -> one validated row per annotator per segment.

The server stores whatever results a client sends (unknown labels, unknown controls), so every
result is checked here against the label set and the task's own segments; a bad one is skipped
and counted with its reason, never guessed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from curation.labelstudio.labelconfig import PAGE_CONTROL, SEGMENT_CONTROL
from curation.labelstudio.tasks import checksum
from curation.stats import Stats

STAGE = "labelstudio"

ANNOTATION_SCHEMA = pa.schema(
    [
        pa.field("segment_id", pa.string(), nullable=False),
        pa.field("annotator", pa.string(), nullable=False),
        pa.field("label", pa.string(), nullable=False),
        pa.field("prelabel", pa.string()),  # the prediction the annotator saw (null: none)
        pa.field("changed", pa.bool_()),  # label != prelabel (null when there was no prelabel)
        pa.field("ground_truth", pa.bool_()),
        pa.field("annotation_id", pa.int64()),
        pa.field("task_id", pa.int64()),
    ],
    metadata={"curation_schema": "1", "kind": "labelstudio_annotations"},
)


@dataclass(slots=True)
class AnnotationRow:
    """One annotator's label for one segment."""

    segment_id: str
    annotator: str
    label: str
    prelabel: str | None
    changed: bool | None
    ground_truth: bool
    annotation_id: int | None
    task_id: int | None


def task_segments(task: dict[str, Any]) -> tuple[str, list[str]] | None:
    """(layout, segment_ids by control index) of one of our tasks; None for a foreign task."""
    data = task.get("data") or {}
    segs = data.get("segments")
    if isinstance(segs, list):
        try:
            pairs = [(s["seg_id"], s["text"]) for s in segs]
        except (TypeError, KeyError):
            return None
        if data.get("checksum") != checksum(pairs):
            return ("page-edited", [p[0] for p in pairs])
        return ("page", [p[0] for p in pairs])
    if isinstance(data.get("segment_id"), str) and isinstance(data.get("text"), str):
        ok = data.get("checksum") == checksum([(data["segment_id"], data["text"])])
        return ("segment" if ok else "segment-edited", [data["segment_id"]])
    return None


def _index(item: dict[str, Any], layout: str) -> int | None:
    name = item.get("from_name")
    if layout == "segment":
        return 0 if name == SEGMENT_CONTROL and item.get("to_name") == "text" else None
    m = PAGE_CONTROL.match(name or "")
    if not m or item.get("to_name") != f"seg_{m.group(1)}":
        return None
    return int(m.group(1))


def _choice(item: dict[str, Any]) -> list[str] | None:
    value = item.get("value")
    choices = value.get("choices") if isinstance(value, dict) else None
    return choices if isinstance(choices, list) else None


def prediction_labels(task: dict[str, Any], layout: str, model_version: str) -> dict[int, str]:
    """Control index -> pre-label of our prediction in the task (full predictions only)."""
    preds = [p for p in task.get("predictions") or [] if isinstance(p, dict)]
    ours = [p for p in preds if p.get("model_version") == model_version] or preds[:1]
    out: dict[int, str] = {}
    for item in (ours[0].get("result") or []) if ours else []:
        idx, ch = _index(item, layout), _choice(item)
        if idx is not None and ch:
            out[idx] = ch[0]
    return out


def annotator_of(ann: dict[str, Any], names: dict[int, str]) -> str:
    who = ann.get("completed_by")
    if isinstance(who, dict):
        return str(who.get("email") or who.get("id"))
    return names.get(who, str(who)) if isinstance(who, int) else str(who)


def parse_tasks(tasks: list[dict[str, Any]], labels: list[str], model_version: str,
                known: dict[str, str | None] | None, stats: Stats,
                names: dict[int, str] | None = None) -> list[AnnotationRow]:
    """Validate every annotation result; return the good ones as rows (bad: skipped, counted).

    *known* maps the run's segment_ids to their pre-label (None: do not check existence)."""
    names, allowed, rows = names or {}, set(labels), []
    for task in tasks:
        tid = task.get("id")
        src = f"task {tid}"
        anns = [a for a in task.get("annotations") or [] if isinstance(a, dict)]
        shape = task_segments(task)
        if shape is None:
            for a in anns:
                stats.skip(STAGE, "foreign_task", src, f"annotation {a.get('id')}: task data has "
                           "neither segments nor segment_id")
            continue
        layout, seg_ids = shape
        if layout.endswith("-edited"):
            for a in anns:
                stats.skip(STAGE, "task_edited", src, f"annotation {a.get('id')}: task data "
                           "changed after import (checksum differs); re-push the page")
            continue
        stats.add(STAGE, "tasks")
        preds = prediction_labels(task, layout, model_version)
        latest: dict[str, dict[str, Any]] = {}
        for a in sorted(anns, key=lambda a: (str(a.get("updated_at") or ""), a.get("id") or 0)):
            if a.get("was_cancelled"):
                stats.skip(STAGE, "cancelled", src, f"annotation {a.get('id')} was skipped")
                continue
            who = annotator_of(a, names)
            if who in latest:
                stats.add(STAGE, "superseded_annotations")
            latest[who] = a
        for who, a in latest.items():
            rows.extend(_rows(a, who, tid, layout, seg_ids, preds, known, allowed, stats))
    return rows


def _rows(ann: dict[str, Any], who: str, tid: Any, layout: str, seg_ids: list[str],
          preds: dict[int, str], known: dict[str, str | None] | None, allowed: set[str],
          stats: Stats) -> list[AnnotationRow]:
    src, aid, out, seen = f"task {tid} annotation {ann.get('id')}", ann.get("id"), [], set()
    stats.add(STAGE, "annotations")
    for item in ann.get("result") or []:
        if not isinstance(item, dict) or item.get("type") != "choices":
            stats.skip(STAGE, "not_a_choice", src, str(item)[:200])
            continue
        idx, choices = _index(item, layout), _choice(item)
        if idx is None or idx >= len(seg_ids):
            stats.skip(STAGE, "unknown_segment", src,
                       f"{item.get('from_name')}->{item.get('to_name')} is no segment of the task")
            continue
        sid = seg_ids[idx]
        if known is not None and sid not in known:
            stats.skip(STAGE, "unknown_segment", src, f"{sid} is not in the run's segments")
            continue
        if not choices or len(choices) != 1:
            stats.skip(STAGE, "not_one_choice", src, f"{sid}: {choices}")
            continue
        if choices[0] not in allowed:
            stats.skip(STAGE, "unknown_label", src,
                       f"{sid}: {choices[0]!r} not in {sorted(allowed)}")
            continue
        if idx in seen:
            stats.skip(STAGE, "duplicate_result", src, f"{sid} labelled twice in one annotation")
            continue
        seen.add(idx)
        pre = preds.get(idx, known.get(sid) if known else None)
        out.append(AnnotationRow(sid, who, choices[0], pre,
                                 None if pre is None else choices[0] != pre,
                                 bool(ann.get("ground_truth")), aid, tid))
    missing = len(seg_ids) - len(seen)
    if missing:
        stats.add(STAGE, "segments_left_unlabelled", missing)
    return out


def rows_table(rows: list[AnnotationRow]) -> pa.Table:
    """The rows as an ANNOTATION_SCHEMA table."""
    cols = {f.name: [getattr(r, f.name) for r in rows] for f in ANNOTATION_SCHEMA}
    return pa.table(cols, schema=ANNOTATION_SCHEMA)
