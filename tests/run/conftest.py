"""Helpers for whole runs: generated pages, configs, the CLI in a child process."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

WORDS = ["river", "market", "council", "school", "harbour", "winter", "station", "garden",
         "museum", "library", "bridge", "festival", "report", "season", "village", "engineer",
         "doctor", "teacher", "farmer", "painter"]


def page_html(i: int) -> str:
    """A small news-like page, different for every *i*, on one of seven sites."""
    words = [WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(60)]
    paras = "".join(f"<p>{' '.join(words[k:k + 20]).capitalize()} number {i}.</p>"
                    for k in range(0, 60, 20))
    return (f'<html><head><link rel="canonical" href="https://site{i % 7}.example/p{i}">'
            f'<title>Page {i}</title></head><body><nav><a href="/">Home</a> '
            f'<a href="/news">News</a></nav><article><h1>Story {i}</h1>{paras}</article>'
            f'<footer>Share this story. Subscribe to our newsletter.</footer></body></html>')


def write_pages(folder: Path, indices: range) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in indices:
        path = folder / f"page-{i:05d}.html"
        path.write_text(page_html(i), encoding="utf-8")
        paths.append(path)
    return paths


def story(seed: int, words: int = 300) -> list[str]:
    """A made-up story of *words* words (the same for the same seed)."""
    rng = random.Random(seed)
    vocab = [f"{a}{b}" for a in ("ka", "lo", "mi", "ne", "ru", "sa", "te") for b in
             ("ban", "dor", "fin", "gal", "hur", "jex", "mop", "tiv")]
    return [rng.choice(vocab) for _ in range(words)]


def article_page(site: str, words: list[str]) -> str:
    """An HTML page of *site* holding *words* as an article of 50-word paragraphs."""
    paras = "".join(f"<p>{' '.join(words[k:k + 50])}.</p>" for k in range(0, len(words), 50))
    return (f'<html><head><link rel="canonical" href="https://{site}/a"></head><body>'
            f"<article>{paras}</article></body></html>")


def near_copy_sites(folder: Path) -> Path:
    """*folder* holding one story on alpha.example, a near-copy of it (one word changed) on
    beta.example, and twelve other sites with a story each."""
    folder.mkdir()
    original = story(7)
    copy = list(original)
    copy[150] = "changed"
    (folder / "a-original.html").write_text(article_page("alpha.example", original))
    (folder / "b-copy.html").write_text(article_page("beta.example", copy))
    for i in range(12):  # other sites, each its own story
        (folder / f"c-{i:02d}.html").write_text(article_page(f"site{i}.example", story(100 + i)))
    return folder


def write_config(path: Path, inputs: list[str], output: Path, **extra: Any) -> Path:
    # the run's mechanics (shards, resume, engines, outputs) on the rules alone, without the
    # cost of language identification and the model; the engines with the packaged model
    # voting: tests/test_ray_engine.py
    prelabel = {"model": None, **extra.pop("prelabel", {})}
    data = {"input": {"paths": inputs}, "output": str(output), "batch_pages": 5,
            "language": {"detector": "none"}, "prelabel": prelabel, **extra}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def dataset_rows(out: Path) -> dict[str, pa.Table]:
    """Each split of a published dataset, rows in file order."""
    files = sorted((out / "dataset" / "data").glob("*.parquet"))
    splits: dict[str, list[pa.Table]] = {}
    for f in files:
        splits.setdefault(f.name.split("-")[0], []).append(pq.read_table(f))
    return {s: pa.concat_tables(t) for s, t in splits.items()}


def start_cli(*args: str) -> subprocess.Popen[bytes]:
    """`curation ARGS` in a child process (its own session, so a kill hits only it)."""
    return subprocess.Popen([sys.executable, "-m", "curation.cli", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})


def wait_for(check: Callable[[], bool], timeout_s: float = 120.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def committed_shards(out: Path) -> int:
    root = out / "_shards"
    return sum(1 for p in root.iterdir() if (p / "_entry.json").is_file()) if root.is_dir() else 0


@pytest.fixture(scope="session")
def kit() -> Any:
    """This module's helpers (test modules cannot import a conftest in importlib mode)."""
    return sys.modules[__name__]
