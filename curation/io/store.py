"""Outputs on an fsspec store (`output: s3://...`, gs://, hf://, file://, memory://).

A run to an url works in a local staging folder (`staging` in the config) exactly as a run to a
folder does, and copies what it commits to the store: each shard as soon as its worker commits
it (the worker copies it itself), the stage folders, the dataset and stats.json at the end.
Object stores have no atomic rename, so a commit is ordered instead: a shard's files first and
its manifest entry last (a shard without its entry is not finished); a stage folder is written
under a temporary name, moved into place and given its done marker last. A crash therefore
leaves nothing on the store that looks whole, and a rerun with `--resume` takes every finished
shard back from the store, even on a machine whose staging folder is gone.

Credentials are fsspec's own: `storage_options` in the config (passed to the file system, e.g.
`{key: ..., secret: ..., endpoint_url: ...}` for s3fs) or the protocol's usual environment
variables and config files (AWS_ACCESS_KEY_ID, GOOGLE_APPLICATION_CREDENTIALS, HF_TOKEN, ...).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from curation.errors import InputError, OutputExistsError
from curation.io.atomic import DONE_MARKER
from curation.io.lease import Lease, store_lease
from curation.io.remote import is_url

ENTRY = "_entry.json"  # a shard's manifest entry: its commit (curation.run.shards)
SHARDS = "_shards"
ROOT_MARKER = ".curation-output"


class OutputStore:
    """The store behind an url output: copies committed shards and folders to it and back."""

    def __init__(self, url: str, storage_options: dict[str, Any] | None = None) -> None:
        import fsspec

        self.url = url.rstrip("/")
        try:
            self.fs, self.root = fsspec.core.url_to_fs(self.url, **(storage_options or {}))
        except (ImportError, ValueError) as exc:
            raise InputError(f"output {url!r}: {exc} (url outputs go through fsspec; install "
                             "the package for this protocol)") from None
        self.root = self.root.rstrip("/")
        self.held: Lease | None = None  # the lease this process holds on the output, if any

    @contextmanager
    def lease(self, command: str, **timing: float) -> Iterator[Lease]:
        """Hold the output's lease (curation.io.lease; *timing*: its ttl and settle) for the
        block: every write of this store object first checks that the lease is still this
        run's."""
        with store_lease(self.fs, self.root, self.url, command, **timing) as held:
            self.held = held
            try:
                yield held
            finally:
                self.held = None

    def _writing(self) -> None:
        if self.held is not None:
            self.held.check()

    def path(self, *parts: str) -> str:
        return "/".join([self.root, *parts])

    # -- the output folder as a whole ------------------------------------------------------

    def claim(self) -> None:
        """Mark the store folder as curation's, or refuse one with someone else's files."""
        marker = self.path(ROOT_MARKER)
        if self.fs.exists(marker):
            return
        if self.fs.exists(self.root) and self.fs.ls(self.root, detail=False):
            raise OutputExistsError(
                f"output {self.url} holds files curation did not write (no {ROOT_MARKER} "
                "marker); choose another output url")
        self.fs.makedirs(self.root, exist_ok=True)
        self.fs.pipe_file(marker, json.dumps({"made_by": "curation",
                                              "created": time.time()}).encode())

    def existing(self, names: Iterable[str]) -> list[str]:
        return [n for n in names if self.fs.exists(self.path(n))]

    def put_text(self, name: str, text: str) -> None:
        self._writing()
        self.fs.pipe_file(self.path(name), text.encode("utf-8"))

    def remove(self, name: str) -> None:
        self._writing()
        if self.fs.exists(self.path(name)):
            self.fs.rm(self.path(name), recursive=True)

    def replace_folder(self, local: Path, name: str) -> bool:
        """Replace the store's *name*/ with the finished local folder *local*: written under a
        temporary name, moved into place, its done marker last. Skipped (False) when the store
        holds this very commit already: the store's marker is the local one plus a stamp of
        the folder's files (names, sizes, times), which every new commit changes."""
        self._writing()
        files = sorted((p.relative_to(local).as_posix(), p.stat().st_size, p.stat().st_mtime_ns)
                       for p in local.rglob("*") if p.is_file())
        stamp = hashlib.sha256(json.dumps(files).encode()).hexdigest()[:16]
        try:
            note = json.loads((local / DONE_MARKER).read_text(encoding="utf-8"))
        except ValueError:
            note = {}
        marker = json.dumps({**(note if isinstance(note, dict) else {}),
                             "files_stamp": stamp}).encode()
        final = self.path(name)
        if self.fs.exists(f"{final}/{DONE_MARKER}") and self.fs.cat_file(
                f"{final}/{DONE_MARKER}") == marker:
            return False
        tmp = self.path(f".{name}.tmp-{uuid.uuid4().hex[:8]}")
        self._put_files(local, tmp, skip=frozenset({DONE_MARKER}))
        self.remove(name)
        if self.fs.exists(tmp):
            self.fs.mv(tmp, final, recursive=True)
        else:  # an empty folder: nothing to move
            self.fs.makedirs(final, exist_ok=True)
        self.fs.pipe_file(f"{final}/{DONE_MARKER}", marker)  # the commit
        return True

    def clear_temporaries(self) -> None:
        """Folders a killed sync left under temporary names."""
        self._writing()
        for path in self.fs.ls(self.root, detail=False) if self.fs.exists(self.root) else []:
            if path.rstrip("/").rsplit("/", 1)[-1].startswith(".") and ".tmp-" in path:
                self.fs.rm(path, recursive=True)

    def _put_files(self, local: Path, remote: str, skip: frozenset[str] = frozenset(),
                   last: str | None = None) -> None:
        files = sorted(p for p in local.rglob("*") if p.is_file()
                       and p.relative_to(local).as_posix() not in skip)
        files.sort(key=lambda p: p.name == last)  # the commit file goes last
        for path in files:
            target = f"{remote}/{path.relative_to(local).as_posix()}"
            self.fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
            self.fs.put_file(str(path), target)

    # -- shards -----------------------------------------------------------------------------

    def shard_ids(self) -> set[str]:
        """Shards committed on the store (their entry is there)."""
        found = self.fs.glob(self.path(SHARDS, "*", ENTRY))
        return {p.rstrip("/").rsplit("/", 2)[-2] for p in found}

    def push_shard(self, local: Path, shard_id: str) -> None:
        """Copy a committed local shard to the store, its entry last (the store's commit)."""
        remote = self.path(SHARDS, shard_id)
        self.remove(f"{SHARDS}/{shard_id}")  # a leftover of a killed copy (checks the lease)
        self._put_files(local, remote, last=ENTRY)

    def pull_shard(self, shard_id: str, root: Path, fingerprints: list[str]) -> bool:
        """Copy a shard committed on the store into *root* (committed there by one rename);
        False when the store has none with these input *fingerprints*."""
        remote = self.path(SHARDS, shard_id)
        try:
            entry = json.loads(self.fs.cat_file(f"{remote}/{ENTRY}"))
        except (OSError, ValueError):
            return False
        if not isinstance(entry, dict) or entry.get("fingerprints") != fingerprints:
            return False
        tmp = root / f".{shard_id}.tmp-pull-{os.getpid()}"
        tmp.mkdir(parents=True, exist_ok=True)
        for names in entry["files"].values():
            for name in names:
                self.fs.get_file(f"{remote}/{name}", str(tmp / name))
        (tmp / ENTRY).write_text(json.dumps(entry), encoding="utf-8")
        shutil.rmtree(root / shard_id, ignore_errors=True)  # an unfinished local leftover
        os.replace(tmp, root / shard_id)
        return True

    def drop_shards_except(self, keep: set[str]) -> None:
        """Shards no longer in the plan, and copies a killed worker left without an entry."""
        self._writing()
        folder = self.path(SHARDS)
        if not self.fs.exists(folder):
            return
        for path in self.fs.ls(folder, detail=False):
            name = path.rstrip("/").rsplit("/", 1)[-1]
            if name not in keep and self.fs.isdir(path):
                self.fs.rm(path, recursive=True)


def output_store(output: str, storage_options: dict[str, Any]) -> OutputStore | None:
    """The store of an url output; None for a local folder."""
    return OutputStore(output, storage_options) if is_url(output) else None
