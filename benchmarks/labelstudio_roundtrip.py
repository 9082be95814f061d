"""Benchmark the Label Studio round trip on a real server: push N segments (page layout, with
predictions), annotate every task through the API (one request per task, as the UI does on
Submit), pull; print the time of each step and check there is no duplicate.

    eval "$(scripts/labelstudio.sh start)"
    .venv/bin/python benchmarks/labelstudio_roundtrip.py --pages 2000 --segments-per-page 10
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from label_studio_sdk import LabelStudio

from curation.config import LabelStudioConfig, RunConfig
from curation.io.parquet import ShardWriter
from curation.labelstudio import connect, pull, push
from curation.labelstudio.client import existing_keys
from curation.schema import SEGMENT_SCHEMA


def make_segments(out: Path, pages: int, per_page: int, labels: list[str], seed: int) -> None:
    """Synthetic pre-labelled segments, written as `curation run` writes them."""
    rnd = random.Random(seed)
    w = ShardWriter(out / "segments", SEGMENT_SCHEMA, shard_rows=50_000)
    rows: list[dict[str, Any]] = []
    for p in range(pages):
        pid = f"page{p:06d}"
        for i in range(per_page):
            lab = rnd.choice(labels)
            rows.append({"segment_id": f"{pid}:{i}", "page_id": pid, "position": i,
                         "text": f"Segment {i} of {pid}: " + " ".join(
                             rnd.choice(["news", "read", "more", "the", "minister", "said",
                                         "share", "login", "photo"]) for _ in range(25)),
                         "url": f"https://example.com/{pid}", "domain": "example.com",
                         "votes": [{"rule": "bench", "label": lab}], "prelabel": lab,
                         "confidence": round(rnd.uniform(0.3, 1.0), 3)})
        if len(rows) >= 20_000:
            w.write(pa.Table.from_pylist(rows, schema=SEGMENT_SCHEMA))
            rows = []
    w.write(pa.Table.from_pylist(rows, schema=SEGMENT_SCHEMA))
    w.close()


def annotate_all(ls: LabelStudio, project_id: int, user_id: int, labels: list[str],
                 seed: int, workers: int) -> int:
    """One annotation request per task (accept the prediction, change one segment in five);
    *workers* annotators submit at the same time, as a labelling team would."""
    rnd = random.Random(seed + 1)
    jobs = []
    for t in ls.tasks.list(project=project_id, fields="all", page_size=500):
        result = []
        for item in t.predictions[0].result:
            lab = item["value"]["choices"][0]
            if rnd.random() < 0.2:
                lab = rnd.choice([x for x in labels if x != lab])
            result.append({"from_name": item["from_name"], "to_name": item["to_name"],
                           "type": "choices", "value": {"choices": [lab]}})
        jobs.append((t.id, result))

    def submit(job: tuple[int, list[dict[str, Any]]]) -> None:
        ls.annotations.create(id=job[0], result=job[1], completed_by=user_id, lead_time=10.0,
                              request_options={"max_retries": 0})

    with ThreadPoolExecutor(workers) as ex:
        list(ex.map(submit, jobs))  # an error propagates: no silent loss, no retry (no dupes)
    return len(jobs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--segments-per-page", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=500)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=4, help="annotators submitting at once")
    ap.add_argument("--keep", action="store_true", help="keep the project on the server")
    args = ap.parse_args()
    title = f"bench-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as tmp:
        cfg = RunConfig(output=str(Path(tmp) / "out"), labelstudio=LabelStudioConfig(
            project_title=title, batch_size=args.batch_size))
        make_segments(Path(cfg.output), args.pages, args.segments_per_page, cfg.labels, args.seed)
        ls = connect(cfg)
        users = {u.email: u.id for u in ls.users.list()}
        uid = users.get("bench@example.com") or ls.users.create(
            username="bench", email="bench@example.com", password="pw-bench").id
        fig: dict[str, Any] = {"pages": args.pages, "workers": args.workers,
                               "segments": args.pages * args.segments_per_page}
        try:
            t0 = time.perf_counter()
            rep = push(cfg, ls=ls)
            fig["push_s"] = round(time.perf_counter() - t0, 2)
            fig["push"] = rep.to_dict()
            t0 = time.perf_counter()
            again = push(cfg, ls=ls)
            fig["push_again_s"] = round(time.perf_counter() - t0, 2)
            fig["push_again_imported"] = again.tasks_imported
            t0 = time.perf_counter()
            fig["annotations_created"] = annotate_all(ls, rep.project_id, uid, cfg.labels,
                                                      args.seed, args.workers)
            fig["annotate_s"] = round(time.perf_counter() - t0, 2)
            t0 = time.perf_counter()
            pr = pull(cfg, ls=ls)
            fig["pull_s"] = round(time.perf_counter() - t0, 2)
            fig["pull"] = {"tasks": pr.tasks, "annotation_rows": pr.annotation_rows,
                           "segments_labelled": pr.segments_labelled, "skipped": pr.skipped,
                           "prelabel": pr.agreement["prelabel"]}
            human = pq.read_table(Path(cfg.output) / "human_labels")
            ids = human.column("segment_id").to_pylist()
            fig["checks"] = {
                "no_duplicate_task": pr.tasks == args.pages
                and sum(existing_keys(ls, rep.project_id, "page").values()) == args.pages,
                "no_duplicate_annotation": pr.annotation_rows == fig["segments"]
                and "duplicate_segment_annotations" not in str(pr.skipped),
                "human_labels_unique": len(ids) == len(set(ids)) == fig["segments"],
            }
        finally:
            if not args.keep:
                ls.projects.delete(id=ls.projects.list(title=title).items[0].id)
    print(json.dumps(fig, indent=2))
    if not all(fig["checks"].values()):
        raise SystemExit("benchmark checks failed")


if __name__ == "__main__":
    main()
