"""`curation run`: plan shards, run the unfinished ones on the configured engine, assemble
pages/ and segments/ and cluster the near-duplicates, then filter and publish when their cache
keys changed: as tasks per shard file on the same engine, so that the parent's own part stays
small (planning, assembly by links, clustering, split assignment, the card and stats).

Before anything is rewritten, what it would make out of date is marked stale (`_STALE` instead
of `_SUCCESS`, stats.json removed), so a killed run never leaves an old dataset that looks whole
and current beside newer pages."""

from __future__ import annotations

import os
import shutil
from contextlib import nullcontext
from functools import partial
from pathlib import Path
from typing import Any

from curation.config import RunConfig, dump_config
from curation.errors import NoUsablePagesError, OutputExistsError
from curation.human.store import store_dir
from curation.io.atomic import atomic_write_text, is_complete, mark_stale, read_marker
from curation.io.ingest import input_paths
from curation.io.store import OutputStore, output_store
from curation.lang import preload
from curation.run.assemble import assemble
from curation.run.engine import Engine, open_engine
from curation.run.manifest import (
    STATE_FILE,
    StageRecord,
    digest,
    filter_key,
    publish_key,
    segments_key,
)
from curation.run.outputs import RUN_FILES, STAGE_FOLDERS, claim_output, output_lock
from curation.run.progress import Progress, StageClock
from curation.run.shards import (
    ShardSpec,
    Step,
    clear_leftovers,
    plan_inputs,
    plan_shards,
    read_entry,
    run_shard,
)
from curation.stats import Stats

SHARDS = "_shards"


def _invalidate(out: Path, record: StageRecord, reason: str, folders: tuple[str, ...],
                stages: tuple[str, ...]) -> None:
    """Mark *folders* stale and forget *stages* before anything they depend on is rewritten."""
    record.drop(*stages)
    for name in folders:
        mark_stale(out / name, reason)
    (out / "stats.json").unlink(missing_ok=True)


class ModelPreload:
    """Loads the language detector and the trained cleaner in this process before local
    workers fork from it, when shards are to run (they detect languages and label), so each
    worker starts with them loaded instead of loading its own; a run whose shards are all
    finished does not load them for its filter and publish workers."""

    def __init__(self, cfg: RunConfig) -> None:
        self.cfg = cfg
        self.wanted = False  # set by the segment stage: shards are to run

    def __call__(self) -> None:
        if not self.wanted:
            return
        preload(self.cfg.language.detector)
        if self.cfg.prelabel.model:
            from curation.model.inference import configured_voter

            configured_voter(self.cfg)  # cached for the process: its forks inherit it


def _segment(cfg: RunConfig, out: Path, step: Step, overwrite: bool, stats: Stats,
             record: StageRecord, timing: dict[str, Any], engine: Engine,
             models: ModelPreload, store: OutputStore | None) -> tuple[str, dict[str, Any]]:
    """Shards -> pages/ + segments/ + near_duplicates/; returns the stage key and the
    assembly's result (page and segment counts, near-duplicate figures)."""
    root = out / SHARDS
    key = segments_key(cfg)
    plan_stats = Stats()
    specs = plan_shards(plan_inputs(input_paths(cfg), out, plan_stats), cfg.batch_pages, key)
    entries: dict[str, dict[str, Any]] = {}
    on_store = store.shard_ids() if store is not None and not overwrite else set()
    for spec in specs:
        entry = read_entry(root, spec)
        # finished on the store, not here (a killed run whose staging folder is gone)
        if (entry is None and spec.id in on_store and store is not None
                and store.pull_shard(spec.id, root, list(spec.fingerprints))):
            entry = read_entry(root, spec)
        if entry is not None:
            entries[spec.id] = entry
    clear_leftovers(root, set(entries))
    todo = [s for s in specs if s.id not in entries]
    assembled_key = digest(key, [s.id for s in specs])
    current = all(is_complete(out / d) and read_marker(out / d).get("key") == assembled_key
                  for d in ("pages", "segments", "near_duplicates"))
    if todo or not current or overwrite:
        _invalidate(out, record, "a newer run started and did not finish", STAGE_FOLDERS,
                    ("assemble", "filter", "publish"))
    clock = StageClock()
    progress = Progress("segment + pre-label", len(todo), sum(s.bytes for s in todo))

    def done(spec: ShardSpec, entry: dict[str, Any]) -> None:
        entries[spec.id] = entry
        progress.update(int(entry["pages"]), spec.bytes)

    # biggest first: the last shards to start are small, so no worker waits long on the
    # others at the end (outputs follow the plan's order whatever order shards run in)
    by_size = sorted(todo, key=lambda s: (-s.bytes, s.index))
    models.wanted = bool(todo)
    try:
        engine.map(partial(run_shard, cfg=cfg, root=str(root), step=step), by_size,
                   on_done=done)
    finally:
        progress.close()
    engine_info = engine.info() if todo else {}
    if todo:  # what a killed try of a shard left behind (the retry committed it)
        clear_leftovers(root, set(entries))
    if store is not None:
        _sync_shards(store, root, specs)
    ordered = [entries[s.id] for s in specs]
    stats.merge(plan_stats)
    for entry in ordered:
        stats.merge(Stats.from_dict(entry["stats"]))
    ran = [entries[s.id] for s in todo]
    # shards run in this process are in its own CPU time already
    by_process: dict[int, float] = {}
    for e in ran:
        if e["timing"]["pid"] != os.getpid():
            by_process[e["timing"]["pid"]] = by_process.get(e["timing"]["pid"], 0.0) + float(
                e["timing"]["cpu_s"])
    worker_cpu = sum(by_process.values())
    timing["segment+prelabel"] = {
        **clock.timing(sum(int(e["pages"]) for e in ran), worker_cpu, engine=cfg.engine,
                       workers=cfg.workers, worker_cpu_s=round(worker_cpu, 3),
                       busiest_worker_cpu_s=round(max(by_process.values(), default=0.0), 3),
                       **engine_info),
        "peak_rss_mb_per_worker": max((e["timing"]["peak_rss_mb"] for e in ran), default=None)}
    stats.notes["shards"] = {"total": len(specs), "run": len(todo),
                             "reused": len(specs) - len(todo)}
    saved = record.get("assemble", assembled_key)
    if current and saved is not None and is_complete(out / "near_duplicates"):
        stats.merge(Stats.from_dict(saved["stats"]))
        return assembled_key, dict(saved["result"])
    clock = StageClock()
    assembly_stats = Stats()
    result = assemble(root, ordered, out, {"key": assembled_key}, assembly_stats)
    record.put("assemble", assembled_key, assembly_stats.to_dict(), result)
    stats.merge(assembly_stats)
    timing["assemble"] = clock.timing(result["pages"])
    return assembled_key, result


def _sync_shards(store: OutputStore, root: Path, specs: list[ShardSpec]) -> None:
    """Every shard of the plan both here and on the store: a worker on another machine
    committed it only there, a worker killed after its local commit only here."""
    on_store = store.shard_ids()
    for spec in specs:
        if read_entry(root, spec) is None:
            store.pull_shard(spec.id, root, list(spec.fingerprints))
        elif spec.id not in on_store:
            store.push_shard(root / spec.id, spec.id)
    store.drop_shards_except({s.id for s in specs})


def _sync_outputs(store: OutputStore, out: Path) -> None:
    """The finished stage folders, then stats.json and run_config.yaml, to the store: stats.json
    goes first and comes back last, so a store without it is being written."""
    store.remove("stats.json")
    store.clear_temporaries()
    for name in STAGE_FOLDERS:
        if name != SHARDS and is_complete(out / name):
            store.replace_folder(out / name, name)
    for name in (f"{SHARDS}/{STATE_FILE}", "run_config.yaml", "stats.json"):
        if (out / name).is_file():
            store.put_text(name, (out / name).read_text(encoding="utf-8"))


def near_duplicate_groups(out: Path) -> tuple[dict[str, str], dict[str, Any]]:
    """The split merges (sites joined by a shared near-duplicate cluster) and the cluster
    figures of the assembly now in *out*; empty when there is none (no finished run)."""
    folder = out / "near_duplicates"
    if not is_complete(folder):
        return {}, {}
    saved = StageRecord(out / SHARDS).get("assemble", str(read_marker(folder).get("key")))
    if saved is None:
        return {}, {}
    result = saved["result"]
    return dict(result.get("split_merges", {})), dict(result.get("near_duplicates", {}))


def _no_pages(out: Path, stats: Stats) -> NoUsablePagesError:
    skipped = {k.removeprefix("skipped:"): n for k, n in stats.counts.get("ingest", {}).items()
               if k.startswith("skipped:")}
    reasons = ", ".join(f"{k}: {n}" for k, n in sorted(skipped.items())) or "no input files"
    return NoUsablePagesError(
        f"no usable pages: every input was skipped ({reasons}); each input and its reason is "
        f"listed in {out / 'stats.json'}")


def _filter(cfg: RunConfig, out: Path, upstream: str, stats: Stats, record: StageRecord,
            timing: dict[str, Any], pages: int, engine: Engine,
            publish_counts: dict[str, dict[str, Any]]) -> tuple[str, dict[str, int]]:
    """The filter stage when its key changed; its tasks also make publish's first pass over
    the files they write (into *publish_counts*), so publish after it needs no pass of its
    own: one round of tasks less."""
    from curation.run.filter_parts import filter_stage_folders

    key = filter_key(upstream, cfg, store_dir(cfg))
    saved = record.get("filter", key)
    folders = ["filtered"] + (["rejects"] if cfg.filter.write_rejects else [])
    if saved is not None and all(is_complete(out / d) for d in folders):
        stats.merge(Stats.from_dict(saved["stats"]))
        return key, dict(saved["result"])
    _invalidate(out, record, "filtered again by a newer run that did not finish",
                ("filtered", "rejects", "dataset"), ("filter", "publish"))
    clock, own, cpu0, busy0 = (StageClock(), Stats(), engine.worker_cpu_s,
                               engine.busiest_worker_cpu_s)
    kept = filter_stage_folders(out / "segments", out / "filtered",
                                out / "rejects" if cfg.filter.write_rejects else None, cfg, own,
                                human_dir=store_dir(cfg), overwrite=True,
                                mapper=engine.map, publish_counts=publish_counts)
    record.put("filter", key, own.to_dict(), kept)
    stats.merge(own)
    timing["filter"] = _timing(clock, pages, engine.worker_cpu_s - cpu0,
                               engine.busiest_worker_cpu_s - busy0)
    return key, kept


def _publish(cfg: RunConfig, out: Path, upstream: str, stats: Stats, record: StageRecord,
             timing: dict[str, Any], pages: int, merges: dict[str, str],
             near: dict[str, Any], engine: Engine,
             counted: dict[str, dict[str, Any]]) -> dict[str, Any]:
    from curation.publish import publish_dataset

    key = publish_key(upstream, cfg)
    saved = record.get("publish", key)
    if saved is not None and is_complete(out / "dataset"):
        stats.merge(Stats.from_dict(saved["stats"]))
        return dict(saved["result"])
    _invalidate(out, record, "published again by a newer run that did not finish",
                ("dataset",), ("publish",))
    clock, own, cpu0, busy0 = (StageClock(), Stats(), engine.worker_cpu_s,
                               engine.busiest_worker_cpu_s)
    summary = publish_dataset(out / "filtered", out / "dataset", cfg, own, overwrite=True,
                              group_merges=merges, near_duplicates=near, mapper=engine.map,
                              counted_by_name=counted or None, workers=engine.workers)
    record.put("publish", key, own.to_dict(), summary)
    stats.merge(own)
    timing["publish"] = _timing(clock, pages, engine.worker_cpu_s - cpu0,
                                engine.busiest_worker_cpu_s - busy0)
    return summary


def _timing(clock: StageClock, pages: int, worker_cpu_s: float, busiest_worker_cpu_s: float
            ) -> dict[str, Any]:
    """A stage's timing: its CPU time counts the workers' (worker_cpu_s), so cpu_s - worker_cpu_s
    is what this process spent on it; busiest_worker_cpu_s is its phases on the busiest worker
    (the stage's length were every worker on a core of its own)."""
    return clock.timing(pages, worker_cpu_s, worker_cpu_s=round(worker_cpu_s, 3),
                        busiest_worker_cpu_s=round(busiest_worker_cpu_s, 3))


def run_sharded(cfg: RunConfig, out: Path, step: Step, overwrite: bool = False,
                resume: bool = False, notes: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every stage into *out*; with *resume*, only what is unfinished or out of date runs.
    One engine serves every parallel phase (shards, filter, publish). *notes* go into
    stats.json as they are (what labelled the segments, ...)."""
    claim_output(out)
    store = output_store(cfg.output, cfg.storage_options)
    if store is not None:
        store.claim()
    # the staging folder's lock, and the store's lease for runs on other machines
    with output_lock(out, "curation run"), (
            store.lease("curation run") if store is not None else nullcontext()):
        models = ModelPreload(cfg)
        engine = open_engine(cfg.engine, cfg.workers, cfg.ray_address, models)
        try:
            result = _run(cfg, out, step, overwrite, resume, engine, models, store, notes or {})
        except NoUsablePagesError:
            if store is not None:  # stats.json lists why every input was skipped
                _sync_outputs(store, out)
            raise
        finally:
            engine.close()  # the workers stop before the lock is given back
        if store is not None:
            _sync_outputs(store, out)
        return result


def _run(cfg: RunConfig, out: Path, step: Step, overwrite: bool, resume: bool,
         engine: Engine, models: ModelPreload, store: OutputStore | None,
         notes: dict[str, Any]) -> dict[str, Any]:
    earlier = [n for n in (*STAGE_FOLDERS, *RUN_FILES) if (out / n).exists()]
    if store is not None:
        earlier += [n for n in store.existing((*STAGE_FOLDERS, *RUN_FILES)) if n not in earlier]
    if earlier and not (overwrite or resume):
        raise OutputExistsError(
            f"{out} holds the outputs of an earlier run ({', '.join(earlier)}); pass "
            "--overwrite to replace them, or --resume to keep what is finished and current")
    stats, timing = Stats(), dict[str, Any]()
    stats.notes.update(notes)
    clock = StageClock()
    fresh = overwrite and not resume
    if fresh:  # every shard and stage is made again
        shutil.rmtree(out / SHARDS, ignore_errors=True)
    (out / SHARDS).mkdir(exist_ok=True)
    record = StageRecord(out / SHARDS)
    upstream, assembled = _segment(cfg, out, step, fresh, stats, record, timing, engine,
                                   models, store)
    counts = dict(assembled)
    near: dict[str, Any] = counts.pop("near_duplicates", {})
    merges: dict[str, str] = counts.pop("split_merges", {})
    stats.notes["near_duplicates"] = near
    if counts["pages"] == 0:
        stats.notes["summary"] = {**counts, "kept": 0, "rejected": 0, "dataset": {}}
        stats.notes["timing"] = timing
        stats.write(out / "stats.json")
        raise _no_pages(out, stats)
    publish_counts: dict[str, dict[str, Any]] = {}  # filled only when the filter runs
    upstream, kept = _filter(cfg, out, upstream, stats, record, timing, counts["pages"],
                             engine, publish_counts)
    summary = _publish(cfg, out, upstream, stats, record, timing, counts["pages"], merges,
                       near, engine, publish_counts)
    stats.notes["summary"] = {**counts, **kept, "dataset": summary}
    worker_cpu = sum(t.get("worker_cpu_s") or 0.0 for t in timing.values())
    busiest = sum(t.get("busiest_worker_cpu_s") or 0.0 for t in timing.values())
    # the wall time inside the engine's phases; the run's wall less it is the parent's alone
    timing["total"] = {**_timing(clock, counts["pages"], worker_cpu, busiest),
                       "tasks_wall_s": round(engine.tasks_wall_s, 3)}
    stats.notes["timing"] = timing
    stats.write(out / "stats.json")
    atomic_write_text(out / "run_config.yaml", dump_config(cfg))
    return stats.to_dict()
