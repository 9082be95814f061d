"""Cache keys per stage and the record of finished stages, so that `--resume` redoes exactly
what a change made out of date: new or changed inputs redo their shards, a changed filter
redoes filter and publish, a changed split redoes publish only."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from curation.config import RunConfig
from curation.dedup import DEDUP_VERSION
from curation.io.atomic import atomic_write_text
from curation.io.readers import InputFile
from curation.schema import SEGMENT_SCHEMA
from curation.version import __version__

STATE_FILE = "stages.json"


def digest(*parts: Any) -> str:
    """A short stable hash of JSON-able *parts*."""
    text = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:16]


def file_fingerprint(path: InputFile) -> list[Any]:
    """(relative name, size, mtime) of a file, or of every file under a folder."""
    if path.is_file():
        st = path.stat()
        return [[path.name, st.st_size, st.st_mtime_ns]]
    if isinstance(path, Path) and path.is_dir():
        return [[str(p.relative_to(path)), p.stat().st_size, p.stat().st_mtime_ns]
                for p in sorted(path.rglob("*")) if p.is_file()]
    return []


def _referenced_files(cfg: RunConfig) -> list[Any]:
    """Fingerprints of the files the labelling step reads besides the pages (cue words, fitted
    weights, calibration, a trained model): editing one of them makes the shards out of date."""
    pre = cfg.prelabel
    named = [pre.cues_dir, pre.weights_file, pre.calibration, pre.model,
             *(p for p in pre.plugins if p.endswith(".py"))]  # a user's own rule files
    return [[name, file_fingerprint(cfg.resolve(name))] for name in named if name]


def segments_key(cfg: RunConfig) -> str:
    """What a shard's pages and segments depend on besides its inputs (not workers, engine,
    batch size or output: those never change a row). The segment columns are part of it: a
    shard written before a column was added is redone, not read back short of it."""
    return digest("segments", __version__, DEDUP_VERSION, SEGMENT_SCHEMA.names, cfg.labels,
                  cfg.label_map,
                  cfg.input.model_dump(mode="json", exclude={"paths"}),
                  cfg.language.model_dump(mode="json"), cfg.segment.model_dump(mode="json"),
                  cfg.prelabel.model_dump(mode="json"), _referenced_files(cfg))


def filter_key(upstream: str, cfg: RunConfig, human_dir: Path) -> str:
    return digest("filter", upstream, cfg.labels, cfg.filter.model_dump(mode="json"),
                  file_fingerprint(human_dir))


def publish_key(upstream: str, cfg: RunConfig) -> str:
    return digest("publish", upstream, cfg.labels, cfg.publish.model_dump(mode="json"))


class StageRecord:
    """Finished stages of one output folder: stage -> {key, stats, result}. A stage is recorded
    only after its output was committed, and dropped before anything it depends on changes."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / STATE_FILE
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        self.stages: dict[str, dict[str, Any]] = data if isinstance(data, dict) else {}

    def get(self, stage: str, key: str) -> dict[str, Any] | None:
        rec = self.stages.get(stage)
        return rec if isinstance(rec, dict) and rec.get("key") == key else None

    def put(self, stage: str, key: str, stats: dict[str, Any], result: Any) -> None:
        # a copy: the caller may change its dicts later, the record must not follow
        self.stages[stage] = json.loads(json.dumps({"key": key, "stats": stats,
                                                    "result": result}))
        self._save()

    def drop(self, *stages: str) -> None:
        for stage in stages:
            self.stages.pop(stage, None)
        self._save()

    def _save(self) -> None:
        atomic_write_text(self.path, json.dumps(self.stages))
