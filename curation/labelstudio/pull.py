"""Pull: fetch (or read) the annotations, validate, merge, and write the run's human labels."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from label_studio_sdk import LabelStudio

from curation.config import RunConfig
from curation.errors import InputError
from curation.io.atomic import atomic_dir
from curation.io.parquet import ShardWriter, iter_batches
from curation.labelstudio.client import call, connect, ensure_project, fetch_tasks
from curation.labelstudio.merge import Merged, agreement, dedupe, merge
from curation.labelstudio.results import STAGE, parse_tasks, rows_table
from curation.schema import HUMAN_LABEL_SCHEMA, SEGMENT_SCHEMA
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
    agreement: dict[str, Any]
    output: str

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}  # type: ignore[attr-defined]


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


def run_segments(cfg: RunConfig) -> tuple[dict[str, str | None], dict[str, list[dict[str, str]]]]:
    """segment_id -> prelabel and segment_id -> votes, from the run's segments/."""
    folder = cfg.resolve(cfg.output) / "segments"
    if not folder.is_dir():
        raise InputError(f"{folder} not found: pull needs the run that was pushed "
                         "(run `curation run CONFIG` with the same output)")
    pre: dict[str, str | None] = {}
    votes: dict[str, list[dict[str, str]]] = {}
    for b in iter_batches(folder, SEGMENT_SCHEMA, columns=["segment_id", "prelabel", "votes"]):
        for sid, p, v in zip(*(b.column(i).to_pylist() for i in range(3)), strict=True):
            pre[sid] = p
            votes[sid] = v or []
    return pre, votes


def user_names(ls: LabelStudio) -> dict[int, str]:
    """User id -> email, so annotators are named in the outputs."""
    return {u.id: u.email or u.username or str(u.id)
            for u in call("list users", lambda: list(ls.users.list()))}


def pull(cfg: RunConfig, from_file: Path | None = None,
         ls: LabelStudio | None = None) -> PullReport:
    """Fetch annotations (server snapshot or a JSON export file), validate them against the
    label set and the run's segments, merge, and write human_labels/ and labelstudio/."""
    stats = Stats()
    prelabels, votes = run_segments(cfg)
    names: dict[int, str] = {}
    if from_file is not None:
        tasks = read_export_file(from_file)
    else:
        ls = ls or connect(cfg)
        project = ensure_project(ls, cfg, create=False)
        names = user_names(ls)
        tasks = fetch_tasks(ls, project.id, cfg.labelstudio.timeout_s)
    rows = parse_tasks(tasks, cfg.labels, cfg.labelstudio.model_version, prelabels, stats, names)
    rows = dedupe(rows, stats)
    merged, review = merge(rows)
    agree = agreement(rows, merged, cfg.labels, votes)
    out = cfg.resolve(cfg.output)
    write_outputs(out, rows, merged, review, agree, stats)
    skipped = {k.split(":", 1)[1]: v for k, v in stats.counts.get(STAGE, {}).items()
               if k.startswith("skipped:")}
    return PullReport(len(tasks), len(rows), sum(m.label is not None for m in merged),
                      sum(m.label is None for m in merged), len(review), skipped, agree, str(out))


def human_table(merged: list[Merged]) -> pa.Table:
    """The merged labels as a HUMAN_LABEL_SCHEMA table."""
    cols = {f.name: [getattr(m, f.name) for m in merged] for f in HUMAN_LABEL_SCHEMA}
    return pa.table(cols, schema=HUMAN_LABEL_SCHEMA)


def write_outputs(out: Path, rows: list[Any], merged: list[Merged], review: list[dict[str, Any]],
                  agree: dict[str, Any], stats: Stats) -> None:
    """human_labels/ (shards) and labelstudio/ (annotations, agreement, review, stats), each
    replaced atomically so a failed pull never leaves half an output."""
    with atomic_dir(out / "human_labels", {"rows": len(merged)}) as tmp:
        w = ShardWriter(tmp, HUMAN_LABEL_SCHEMA)
        w.write(human_table(merged))
        w.close()
        if not w.shards:  # no annotation yet: still an (empty) readable folder
            pq.write_table(human_table([]), tmp / "part-00000.parquet")
    with atomic_dir(out / "labelstudio", {"rows": len(rows)}) as tmp:
        pq.write_table(rows_table(rows), tmp / "annotations.parquet", compression="zstd")
        (tmp / "agreement.json").write_text(json.dumps(agree, indent=2) + "\n", encoding="utf-8")
        (tmp / "review.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in review), encoding="utf-8")
        stats.write(tmp / "pull_stats.json")
