"""Remote inputs through fsspec: s3://, gs://, hf://, http(s):// and any other fsspec protocol,
with globs. Credentials are fsspec's own (environment, config files, `fsspec.config`).

A remote file is a RemoteFile: the small part of pathlib.Path the readers and the shard planner
use (name, stat, open, read_bytes), so every reader takes local and remote files alike.
"""

from __future__ import annotations

import glob
import re
from dataclasses import dataclass
from typing import IO, Any

from curation.errors import InputError

_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def is_url(spec: str) -> bool:
    """True for "proto://..." (fsspec), False for local paths and builtin: inputs.

    >>> is_url("s3://bucket/crawl/*.warc.gz"), is_url("data/pages"), is_url("C:/x")
    (True, False, False)
    """
    return bool(_URL.match(spec))


def local_path(spec: str) -> str | None:
    """The local path of a file:// url (None for other protocols): local inputs keep the local
    reader (folder walk, symlink checks, memory-mapped WARC offsets).

    >>> local_path("file:///data/pages/*.html"), local_path("s3://b/k")
    ('/data/pages/*.html', None)
    """
    return spec[len("file://"):] if spec.startswith("file://") else None


@dataclass(frozen=True)
class _Stat:
    st_size: int
    st_mtime_ns: int


class RemoteFile:
    """One remote file: its url, size and version (mtime or ETag) from the listing."""

    def __init__(self, fs: Any, path: str, info: dict[str, Any]) -> None:
        self.fs, self.path = fs, path
        self.url: str = fs.unstrip_protocol(path)
        self.name = path.rstrip("/").rsplit("/", 1)[-1]
        self._info = info

    def __str__(self) -> str:
        return self.url

    def __repr__(self) -> str:
        return f"RemoteFile({self.url!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RemoteFile) and other.url == self.url

    def __hash__(self) -> int:
        return hash(self.url)

    def is_file(self) -> bool:
        return True

    def is_dir(self) -> bool:
        return False

    def resolve(self) -> RemoteFile:
        return self

    def relative_to(self, other: object) -> None:
        raise ValueError(f"{self.url} is remote, not under {other}")

    def stat(self) -> _Stat:
        info = self._info
        version = info.get("mtime") or info.get("LastModified") or info.get("updated") or 0
        if not isinstance(version, int | float):  # a datetime or an ETag-like string
            version = hash(str(version)) & ((1 << 62) - 1)
        return _Stat(int(info.get("size") or 0), int(version))

    def open(self, mode: str = "rb") -> IO[bytes]:
        if mode != "rb":
            raise ValueError("remote inputs are read-only")
        return self.fs.open(self.path, "rb")  # type: ignore[no-any-return]

    def read_bytes(self) -> bytes:
        with self.open() as fh:
            return fh.read()


def resolve_url(spec: str) -> list[RemoteFile]:
    """The files a remote url names: one file, every file under a folder, or a glob's matches.
    A missing protocol package, an unreachable host or no match raise InputError."""
    import fsspec

    try:
        fs, path = fsspec.core.url_to_fs(spec)
    except (ImportError, ValueError) as exc:
        raise InputError(f"input {spec!r}: {exc} (remote inputs go through fsspec; install the "
                         "package for this protocol)") from None
    try:
        if glob.has_magic(path):
            infos = fs.glob(path, detail=True)
        elif fs.isdir(path):
            infos = fs.find(path, detail=True)
        else:
            infos = {path: fs.info(path)}
    except (OSError, ValueError) as exc:
        raise InputError(f"input {spec!r} cannot be reached: {type(exc).__name__}: {exc}"
                         ) from None
    files = [RemoteFile(fs, p, info) for p, info in sorted(infos.items())
             if info.get("type", "file") != "directory"
             and not p.rstrip("/").rsplit("/", 1)[-1].startswith((".", "__"))]
    if not files:
        raise InputError(f"input {spec!r} matches no file")
    return files
