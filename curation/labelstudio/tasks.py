"""Segments -> Label Studio tasks (with predictions), page selection, and the offline export."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from curation.config import RunConfig
from curation.errors import InputError
from curation.human.store import content_keys
from curation.io.atomic import atomic_write_text
from curation.io.parquet import iter_batches
from curation.labelstudio.labelconfig import (
    LINES_CONTROL,
    LINES_OBJECT,
    PARAGRAPH_CONTROL,
    PARAGRAPH_OBJECT,
    SEGMENT_CONTROL,
    label_config,
)
from curation.labelstudio.lines import line_html, line_region
from curation.schema import SEGMENT_SCHEMA

Select = Literal["all", "uncertain"]
_COLUMNS = ["segment_id", "page_id", "position", "text", "url", "domain", "votes", "prelabel",
            "confidence", "tag_path", "link_density", "after_image"]
UNSURE = 0.7  # below this confidence a segment's line says "unsure" on the labelling screen
NEAR_COPY = 0.8  # pages sharing this share of their texts are near-copies (one per batch)


@dataclass(slots=True)
class Page:
    """The segments of one page, in order, as pushed to Label Studio."""

    page_id: str
    url: str
    segments: list[dict[str, Any]] = field(default_factory=list)

    @property
    def min_confidence(self) -> float:
        return min((s["confidence"] if s["confidence"] is not None else 0.0)
                   for s in self.segments)

    @property
    def expected_corrections(self) -> float:
        """How many pre-labels a person is expected to change: the sum of (1 - confidence)."""
        return sum(1.0 - (s["confidence"] if s["confidence"] is not None else 0.0)
                   for s in self.segments)

    @property
    def domain(self) -> str:
        return str(self.segments[0].get("domain") or "") if self.segments else ""

    @property
    def conflicts(self) -> int:
        """Segments whose rules voted for more than one label."""
        return sum(1 for s in self.segments if len({v["label"] for v in s["votes"] or []}) > 1)


def load_pages(segments_dir: Path) -> list[Page]:
    """Read the run's segments/ shards and group them into pages, segments by position."""
    if not segments_dir.is_dir():
        raise InputError(f"{segments_dir} not found: run `curation run CONFIG` first (it writes "
                         "segments/ under the config's output folder)")
    pages: dict[str, Page] = {}
    for batch in iter_batches(segments_dir, SEGMENT_SCHEMA, columns=_COLUMNS):
        for row in batch.to_pylist():
            page = pages.get(row["page_id"])
            if page is None:
                page = pages[row["page_id"]] = Page(row["page_id"], row["url"] or "")
            page.segments.append(row)
    for page in pages.values():
        page.segments.sort(key=lambda s: s["position"])
    return list(pages.values())


def select_pages(pages: list[Page], select: Select = "all", limit: int | None = None,
                 skip_ids: set[str] | None = None) -> list[Page]:
    """Pick pages to label: all in order, or those with the most expected corrections first,
    spread over sites (each site's best page before any site's second) and never two
    near-copies in one batch; pages in *skip_ids* (already on the server) are never picked."""
    todo = [p for p in pages if not skip_ids or p.page_id not in skip_ids]
    if select == "all":
        return todo[:limit] if limit is not None else todo
    if select != "uncertain":
        raise InputError(f"unknown selection {select!r}; use 'all' or 'uncertain'")
    todo.sort(key=lambda p: (-p.expected_corrections, -p.conflicts, p.page_id))
    by_site: dict[str, list[Page]] = {}
    for p in todo:
        by_site.setdefault(p.domain, []).append(p)
    queues = [q[::-1] for q in by_site.values()]  # best last: pop() takes it
    chosen: list[Page] = []
    texts: list[set[str]] = []
    holders: dict[str, set[int]] = {}  # text hash -> chosen pages holding it
    while queues and (limit is None or len(chosen) < limit):
        # one page per site a round, the sites in order of their best remaining page
        queues.sort(key=lambda q: (-q[-1].expected_corrections, q[-1].page_id))
        for q in queues:
            while q:
                p = q.pop()
                mine = {h for h, _ in content_keys([s["text"] for s in p.segments])}
                near = {i for h in mine for i in holders.get(h, ())}
                if not any(near_copy(mine, texts[i]) for i in near):
                    for h in mine:
                        holders.setdefault(h, set()).add(len(chosen))
                    chosen.append(p)
                    texts.append(mine)
                    break
            if limit is not None and len(chosen) >= limit:
                break
        queues = [q for q in queues if q]
    return chosen


def near_copy(a: set[str], b: set[str]) -> bool:
    """Two pages are near-copies when most of their distinct texts are the same (Jaccard)."""
    return bool(a or b) and len(a & b) / len(a | b) >= NEAR_COPY


def checksum(texts: Iterable[tuple[str, str]]) -> str:
    """Fingerprint of (segment_id, text) pairs: a task edited after import no longer matches."""
    h = hashlib.sha1()
    for sid, text in texts:
        h.update(sid.encode())
        h.update(b"\x00")
        h.update(text.encode())
        h.update(b"\x01")
    return h.hexdigest()[:16]


def _item(from_name: str, to_name: str, label: str, score: float | None) -> dict[str, Any]:
    item: dict[str, Any] = {"from_name": from_name, "to_name": to_name, "type": "choices",
                            "value": {"choices": [label]}}
    if score is not None:
        item["score"] = round(float(score), 4)
    return item


def page_task(page: Page, labels: list[str], model_version: str) -> dict[str, Any]:
    """One task per page: data.segments[i] = {seg_id, text}; one prediction item per segment."""
    segs = page.segments
    data = {
        "page_id": page.page_id,
        "url": page.url,
        "segments": [{"seg_id": s["segment_id"], "text": s["text"]} for s in segs],
        "checksum": checksum((s["segment_id"], s["text"]) for s in segs),
    }
    result = [_item(f"label_{i}", f"seg_{i}", s["prelabel"], s["confidence"])
              for i, s in enumerate(segs) if s["prelabel"] in labels]
    return _with_prediction(data, result, page.min_confidence, model_version)


def where(i: int, seg: dict[str, Any]) -> str:
    """The line heading of a segment: number, tag, link share, image above, pre-label doubt."""
    parts = [str(i), (seg.get("tag_path") or "").rsplit(">", 1)[-1] or "text"]
    links = seg.get("link_density") or 0.0
    if links >= 0.5:
        parts.append(f"links {round(100 * links)}%")
    if seg.get("after_image"):
        parts.append("after image")
    conf = seg["confidence"]
    if conf is None or conf < UNSURE:
        parts.append("unsure" if conf is None else f"unsure {conf:.2f}")
    return " · ".join(parts)


def lines_task(page: Page, labels: list[str], model_version: str,
               below: float | None = None, regions: str = "unsure",
               layout: str = "hypertext") -> dict[str, Any] | None:
    """One task per page, each segment a labelled line (*layout* "paragraphs": Label Studio's
    Paragraphs; "hypertext": one HTML document, data.html, a <p> per line). *regions* "all":
    a region per pre-label with its score; "unsure": regions only for pre-labels less sure
    than UNSURE ("none": no region), the others named with their score in the line heading
    and stored as the line's "pre" (a line left without a region is accepted with it by the
    pull). Regions cost Label Studio most of its render time.
    With *below*, only the segments less sure than it (the rest keep their pre-label); None
    when no segment is that unsure."""
    if regions not in ("unsure", "all", "none"):
        raise InputError(f"unknown prelabel_regions {regions!r}; use 'unsure', 'all' or 'none'")
    keys = content_keys([s["text"] for s in page.segments])
    picked = [(i, s, k) for i, (s, k) in enumerate(zip(page.segments, keys, strict=True))
              if below is None or (s["confidence"] or 0.0) < below]
    if not picked:
        return None
    lines = [_line(i, s, occ, labels, regions) for i, s, (_, occ) in picked]
    data: dict[str, Any] = {"page_id": page.page_id, "url": page.url, "segments": lines}
    if layout == "hypertext":
        data["html"] = "".join(
            line_html(s, ln["where"] if "pre" in ln or s["prelabel"] not in labels
                      else f"{ln['where']} · {s['prelabel']}", _unsure(s), labels)
            for (_, s, _), ln in zip(picked, lines, strict=True))
        # the texts (and headings) are in the HTML already: the pull reads them back from it
        local = content_keys([s["text"] for _, s, _ in picked])
        data["checksum"] = hypertext_checksum(
            [ln["seg_id"] for ln in lines], [k for _, _, k in picked], data["html"])
        data["segments"] = lines = [hypertext_line(ln, occ, page.page_id) for ln, (_, occ)
                                    in zip(lines, local, strict=True)]
    else:
        data["checksum"] = checksum((s["segment_id"], s["text"]) for _, s, _ in picked)
    if below is not None:
        data["pre_accepted"] = len(page.segments) - len(picked)
    result = []
    for j, (_, s, _) in enumerate(picked):
        if s["prelabel"] not in labels or "pre" in lines[j]:
            continue
        item: dict[str, Any]
        if layout == "hypertext":
            item = {"from_name": LINES_CONTROL, "to_name": LINES_OBJECT,
                    "type": "hypertextlabels", "value": line_region(j, s["text"], s["prelabel"])}
        else:
            item = {"from_name": PARAGRAPH_CONTROL, "to_name": PARAGRAPH_OBJECT,
                    "type": "paragraphlabels",
                    "value": {"start": str(j), "end": str(j), "startOffset": 0,
                              "endOffset": len(s["text"]), "paragraphlabels": [s["prelabel"]]}}
        if s["confidence"] is not None:
            item["score"] = round(float(s["confidence"]), 4)
        result.append(item)
    conf = min((s["confidence"] or 0.0) for _, s, _ in picked)
    return _with_prediction(data, result, conf, model_version)


def _unsure(seg: dict[str, Any]) -> bool:
    return seg["confidence"] is None or seg["confidence"] < UNSURE


def _drawn(seg: dict[str, Any], regions: str) -> bool:
    """Whether the segment's pre-label is drawn as a region (else named in its heading)."""
    if not seg["text"]:
        return False  # an empty line cannot hold a region
    return regions == "all" or (regions == "unsure" and _unsure(seg))


def _line(i: int, seg: dict[str, Any], occurrence: int, labels: list[str],
          regions: str) -> dict[str, Any]:
    """One line of a hypertext or paragraphs task; a pre-label not drawn as a region is in its
    heading."""
    line = {"seg_id": seg["segment_id"], "text": seg["text"], "where": where(i, seg),
            "occurrence": occurrence}
    if seg["prelabel"] in labels and not _drawn(seg, regions):
        conf = seg["confidence"]
        line["where"] += f" · {seg['prelabel']}" + ("" if conf is None else f" {conf:.2f}")
        line["pre"] = seg["prelabel"]
    return line


def hypertext_line(line: dict[str, Any], local_occurrence: int,
                   page_id: str) -> dict[str, Any]:
    """A hypertext task's line: its segment ("seg": the id after the task's page_id and a
    colon, as segment ids are made; else "seg_id"), its pre-label when named in its heading,
    and its occurrence among equal texts of the page only where that differs from the task's
    own count (a task holding some of the page's segments)."""
    sid, prefix = line["seg_id"], f"{page_id}:"
    out = {"seg": sid[len(prefix):]} if sid.startswith(prefix) else {"seg_id": sid}
    if line["occurrence"] != local_occurrence:
        out["occurrence"] = line["occurrence"]
    if "pre" in line:
        out["pre"] = line["pre"]
    return out


def hypertext_checksum(seg_ids: list[str], keys: list[tuple[str, int]], html: str) -> str:
    """Fingerprint of a hypertext task: each line's segment and content key, and the document
    holding the texts; a line or the document edited by hand no longer matches."""
    return checksum([*((sid, f"{h}:{occ}") for sid, (h, occ) in zip(seg_ids, keys, strict=True)),
                     ("html", html)])


def segment_tasks(page: Page, labels: list[str], model_version: str,
                  context: int) -> list[dict[str, Any]]:
    """One task per segment with up to *context* neighbours before and after it."""
    segs, tasks = page.segments, []
    keys = content_keys([s["text"] for s in segs])
    for i, s in enumerate(segs):
        data = {
            "page_id": page.page_id, "segment_id": s["segment_id"], "position": s["position"],
            "occurrence": keys[i][1],
            "url": page.url, "text": s["text"],
            "prev_text": "\n".join(x["text"] for x in segs[max(0, i - context):i]),
            "next_text": "\n".join(x["text"] for x in segs[i + 1:i + 1 + context]),
            "checksum": checksum([(s["segment_id"], s["text"])]),
        }
        result = ([_item(SEGMENT_CONTROL, "text", s["prelabel"], s["confidence"])]
                  if s["prelabel"] in labels else [])
        conf = s["confidence"] if s["confidence"] is not None else 0.0
        tasks.append(_with_prediction(data, result, conf, model_version))
    return tasks


def _with_prediction(data: dict[str, Any], result: list[dict[str, Any]], score: float,
                     model_version: str) -> dict[str, Any]:
    task: dict[str, Any] = {"data": data}
    if result:
        # Task-level score = the least sure segment, so LS "prediction score" sampling finds it.
        task["predictions"] = [{"model_version": model_version, "score": round(float(score), 4),
                                "result": result}]
    return task


def build_tasks(pages: list[Page], cfg: RunConfig,
                below: float | None = None) -> list[dict[str, Any]]:
    """Tasks for *pages* in the configured layout (*below*: hypertext or paragraphs, unsure
    segments only)."""
    ls = cfg.labelstudio
    lines = ls.layout in ("hypertext", "paragraphs")
    if below is not None and not lines:
        raise InputError("pushing only the unsure segments needs labelstudio.layout: "
                         "hypertext or paragraphs")
    if lines:
        tasks = (lines_task(p, cfg.labels, ls.model_version, below, ls.prelabel_regions,
                            ls.layout) for p in pages)
        return [t for t in tasks if t is not None]
    if ls.layout == "page":
        return [page_task(p, cfg.labels, ls.model_version) for p in pages]
    return [t for p in pages for t in segment_tasks(p, cfg.labels, ls.model_version, ls.context)]


def task_key(data: dict[str, Any], layout: str) -> str | None:
    """What makes a task unique in a project: its page_id (page layout) or segment_id."""
    key = data.get("segment_id" if layout == "segment" else "page_id")
    return key if isinstance(key, str) else None


def export_tasks(cfg: RunConfig, out: Path, select: Select = "all",
                 limit: int | None = None, below: float | None = None) -> dict[str, Any]:
    """Write the tasks as a Label Studio import file (+ the config XML beside it); no server."""
    pages = select_pages(load_pages(cfg.resolve(cfg.output) / "segments"), select, limit)
    tasks = build_tasks(pages, cfg, below)
    xml = label_config(cfg.labels, cfg.labelstudio.layout)
    atomic_write_text(out, json.dumps(tasks, ensure_ascii=False) + "\n")
    xml_path = out.with_name(out.stem + ".label_config.xml")
    atomic_write_text(xml_path, xml)
    return {"tasks": len(tasks), "pages": len(pages),
            "segments": sum(len(p.segments) for p in pages),
            "file": str(out), "label_config": str(xml_path)}
