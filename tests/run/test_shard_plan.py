"""How inputs are cut into shards: a shard holds about the same pages whether its input is
gzipped or not (a shard's size is what a worker holds in memory)."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

from curation.run.shards import GZIP_RATIO, plan_shards


def _pages(n: int) -> bytes:
    rng = random.Random(7)
    words = [f"word{i}" for i in range(300)]
    return "".join(json.dumps({"id": f"p{i}", "html": "<p>" + " ".join(
        rng.choice(words) for _ in range(400)) + "</p>"}) + "\n" for i in range(n)).encode()


def test_a_gzipped_input_is_planned_by_its_pages_not_its_compressed_bytes(
        tmp_path: Path) -> None:
    data = _pages(400)
    plain, packed = tmp_path / "a.jsonl", tmp_path / "b.jsonl.gz"
    plain.write_bytes(data)
    packed.write_bytes(gzip.compress(data))
    ratio = len(data) / packed.stat().st_size
    assert ratio > GZIP_RATIO  # the premise: these pages compress at least as well as assumed
    limit = len(data) // 8
    by_plain = plan_shards([plain], 4, "k", shard_bytes=limit)
    by_packed = plan_shards([packed], 4, "k", shard_bytes=limit)
    assert len(by_plain) == 8
    # counted by compressed bytes it was one shard (or two); planned as GZIP_RATIO times its
    # size, it is cut in about as many pieces as the plain file: as many pages per worker
    assert len(by_packed) >= 8 * GZIP_RATIO / ratio - 1
    assert [s.part for s in by_packed][0][0] == 1 and by_packed[-1].part[1] == 401


def test_small_gzipped_files_are_grouped_by_their_planned_size(tmp_path: Path) -> None:
    files = []
    for i in range(12):
        path = tmp_path / f"f{i:02}.jsonl.gz"
        path.write_bytes(gzip.compress(_pages(20)))
        files.append(path)
    size = files[0].stat().st_size
    # ten files' compressed bytes, but two files' pages once expanded; files_per_shard so
    # large that no file's name ends a shard by its hash (at 1,000, one path in 1,000 did)
    specs = plan_shards(files, 2**40, "k", shard_bytes=size * 2 * GZIP_RATIO + size)
    assert [len(s.paths) for s in specs] == [2] * 6
    assert all(s.part is None for s in specs)
