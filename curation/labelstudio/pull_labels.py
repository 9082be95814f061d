"""Pull: fetch (or read) the annotations, validate, merge into the human-label store (keyed by
content), and report how the store maps onto the run's current segments."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from label_studio_sdk import LabelStudio

from curation.config import RunConfig
from curation.errors import InputError
from curation.human.store import (
    StoredLabel,
    read_store,
    resolve,
    run_pages,
    store_dir,
    update_store,
    write_store,
)
from curation.io.atomic import atomic_dir
from curation.io.parquet import iter_batches
from curation.labelstudio.client import call, connect, ensure_project, fetch_tasks
from curation.labelstudio.merge import Merged, agreement, dedupe, merge
from curation.labelstudio.results import STAGE, Problems, parse_tasks, rows_table
from curation.schema import SEGMENT_SCHEMA
from curation.stats import Stats


@dataclass(slots=True)
class PullReport:
    """What a pull found and wrote."""

    tasks: int
    annotation_rows: int
    segments_labelled: int
    ties: int
    review: int
    skipped: dict[str, int]
    store: dict[str, int]  # labels added/updated/unchanged/kept (never dropped by a pull)
    applied: int  # stored labels that found their text in the run's current segments
    unmatched: int  # stored labels whose text changed or vanished (listed in review.jsonl)
    agreement: dict[str, Any]
    output: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_export_file(path: Path) -> list[dict[str, Any]]:
    """Tasks from a Label Studio JSON export file (Export -> JSON in the UI)."""
    if not path.is_file():
        raise InputError(f"{path} does not exist")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise InputError(f"{path} is not JSON: {exc}") from None
    if not isinstance(data, list) or not all(isinstance(t, dict) for t in data):
        raise InputError(f"{path} is not a Label Studio JSON export (a list of tasks); "
                         "export as 'JSON', not JSON_MIN or CSV")
    return data


def segments_dir(cfg: RunConfig) -> Path:
    folder = cfg.resolve(cfg.output) / "segments"
    if not folder.is_dir():
        raise InputError(f"{folder} not found: pull needs the run's segments "
                         "(run `curation run CONFIG` with the same output)")
    return folder


def run_segments(folder: Path) -> tuple[dict[str, str | None], dict[str, list[dict[str, str]]]]:
    """segment_id -> prelabel and segment_id -> rule votes, from the run's segments/."""
    pre: dict[str, str | None] = {}
    votes: dict[str, list[dict[str, str]]] = {}
    for b in iter_batches(folder, SEGMENT_SCHEMA, columns=["segment_id", "prelabel", "votes"]):
        for sid, p, v in zip(*(b.column(i).to_pylist() for i in range(3)), strict=True):
            pre[sid] = p
            votes[sid] = v or []
    return pre, votes


def stored(m: Merged) -> StoredLabel:
    return StoredLabel(m.page_id, m.url, m.text_hash, m.occurrence, None, None, m.segment_id,
                       m.text, m.label, m.annotators, m.agreement, m.ground_truth)


def user_names(ls: LabelStudio) -> dict[int, str]:
    """User id -> email, so annotators are named in the outputs."""
    return {u.id: u.email or u.username or str(u.id)
            for u in call("list users", lambda: list(ls.users.list()))}


def pull(cfg: RunConfig, from_file: Path | None = None,
         ls: LabelStudio | None = None) -> PullReport:
    """Fetch annotations (server snapshot or a JSON export file), validate them against the
    label set and the run's segments, merge, and write human_labels/ and labelstudio/."""
    stats = Stats()
    segs = segments_dir(cfg)
    names: dict[int, str] = {}
    if from_file is not None:
        tasks = read_export_file(from_file)
    else:
        ls = ls or connect(cfg)
        project = ensure_project(ls, cfg, create=False)
        names = user_names(ls)
        tasks = fetch_tasks(ls, project.id, cfg.labelstudio.timeout_s)
    problems = Problems(stats)
    prelabels, votes = run_segments(segs)
    rows = parse_tasks(tasks, cfg.labels, cfg.labelstudio.model_version, problems, names,
                       prelabels)
    rows = dedupe(rows, stats)
    merged, review = merge(rows)
    agree = agreement(rows, merged, cfg.labels, votes)
    out = cfg.resolve(cfg.output)
    store = store_dir(cfg)
    labels, update = update_store(read_store(store), [stored(m) for m in merged])
    res = resolve(labels, run_pages(segs, labels))
    for s in labels:  # offsets of the text in the current page, where it was found
        s.start, s.end = res.offsets.get(s.key, (s.start, s.end))
    total = write_store(store, labels)
    for u in res.unmatched:
        stats.skip(STAGE, f"label_{u['reason']}", f"page {u['page_id']}",
                   f"{u['label']!r} on {u['text'][:80]!r}")
    for key, n in asdict(update).items():
        stats.add(STAGE, f"store_{key}", n)
    stats.add(STAGE, "labels_applied", res.applied)
    review = review + problems.entries + res.unmatched
    write_outputs(out, rows, review, agree, stats)
    skipped = {k.split(":", 1)[1]: v for k, v in stats.counts.get(STAGE, {}).items()
               if k.startswith("skipped:")}
    return PullReport(len(tasks), len(rows), sum(m.label is not None for m in merged),
                      sum(m.label is None for m in merged), len(review), skipped,
                      {**asdict(update), "total": total}, res.applied, len(res.unmatched),
                      agree, str(out))


def write_outputs(out: Path, rows: list[Any], review: list[dict[str, Any]],
                  agree: dict[str, Any], stats: Stats) -> None:
    """labelstudio/ (annotations, agreement, review, stats), replaced atomically so a failed
    pull never leaves half an output (the store is written on its own, also atomically)."""
    with atomic_dir(out / "labelstudio", {"rows": len(rows)}) as tmp:
        pq.write_table(rows_table(rows), tmp / "annotations.parquet", compression="zstd")
        (tmp / "agreement.json").write_text(json.dumps(agree, indent=2) + "\n", encoding="utf-8")
        (tmp / "review.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in review), encoding="utf-8")
        stats.write(tmp / "pull_stats.json")
