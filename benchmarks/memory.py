"""Peak memory of `curation run` (the real CLI, in a subprocess) at two input sizes.

A streaming pipeline peaks at the same RSS whatever the number of pages: the bar is that
50,000 pages peak within 10 % of 5,000 pages.

    .venv/bin/python benchmarks/memory.py                          # 5,000 vs 50,000 pages
    .venv/bin/python benchmarks/memory.py --sizes 2000,20000 --detector langdetect --json m.json

Input: a JSONL.gz of generated pages, written as a stream: each page recombines 20-120 segment
texts drawn (seeded) from the gold-dev and gold-taxonomy segment lists and the bundled samples,
of one language, as a text dump or as HTML in one of several layouts, on a few hundred domains.
Peak RSS: the child and its children, sampled every 50 ms with psutil, and the kernel's exact
high-water mark of the biggest process (wait4's ru_maxrss).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import html
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import yaml
from _common import DEFAULT_CONFIG, GOLD_DEV, GOLD_TAXONOMY, ROOT, code_version, read_gold

from curation.io.decode import decode_bytes
from curation.io.readers import builtin_samples
from curation.segment.core import segment_page

PRELABEL_PATHS = ("cues_dir", "calibration", "model")  # file paths under `prelabel:`
Pool = dict[str, list[tuple[str, str]]]  # lang -> [(text, label)]
WORDS = ["news", "daily", "post", "tribune", "herald", "blog", "times", "review", "journal",
         "gazette", "today", "wire", "press", "report", "digest", "media"]
TLDS = ["com", "org", "net", "de", "bg", "fr", "es", "co.uk", "info"]
SECTIONS = ["politics", "sport", "tech", "culture", "world", "2024/05", "blog", "opinion"]
CLASSES = {
    "nav": ["nav", "menu", "main-menu", "navbar", "site-nav", "topbar"],
    "main": ["content", "article-body", "post-content", "entry", "story", "main-text"],
    "aside": ["sidebar", "related", "more-stories", "widget", "recommended", "teasers"],
    "ad": ["ad", "advert", "sponsored", "promo", "banner", "ad-slot"],
    "comments": ["comments", "comment-list", "discussion", "replies"],
    "footer": ["footer", "site-footer", "bottom", "legal"],
}


def build_pool() -> Pool:
    """Segment texts with their gold label, per language, from the gold files and samples."""
    pool: Pool = defaultdict(list)
    for path in (GOLD_DEV, GOLD_TAXONOMY):
        for rec in read_gold(path):
            lang = rec.get("lang") or "xx"
            for seg in rec.get("segments") or []:
                text = (seg.get("text") or "").strip()
                if text:
                    pool[lang].append((text, seg.get("label") or "other"))
    for path in sorted(builtin_samples().iterdir()):
        fmt = "html" if path.suffix in (".html", ".htm") else "text"
        if path.suffix not in (".txt", ".html", ".htm"):
            continue
        page = {"page_id": path.name, "format": fmt,
                "content": decode_bytes(path.read_bytes(), html=fmt == "html")}
        lang = path.name[:2] if path.name[2:3] == "_" else "bg"
        for seg in segment_page(page):
            # no gold label: short lines stand in for boilerplate, long ones for article text
            pool[lang].append((seg["text"], "article" if len(seg["text"]) > 120 else "other"))
    return dict(pool)


def _text_page(segs: list[tuple[str, str]], rng: random.Random) -> str:
    sep = rng.choice(["\n", "\n", "\n\n"])
    return sep.join(t for t, _ in segs)


def _item(text: str, rng: random.Random, link: float) -> str:
    t = html.escape(text)
    if rng.random() < link:
        return f'<a href="/{rng.choice(SECTIONS)}/{rng.randrange(10**6)}">{t}</a>'
    return t


def _html_page(segs: list[tuple[str, str]], rng: random.Random, title: str) -> str:
    """One page in one of three layouts (HTML5 regions, div soup with classes, table layout);
    each segment goes where its label would sit (nav, main text, aside, ad, comments, footer)."""
    layout = rng.choice(["html5", "divs", "table"])
    regions: dict[str, list[str]] = defaultdict(list)
    for i, (text, label) in enumerate(segs):
        if label == "article":
            tag = "h2" if len(text) < 60 and rng.random() < 0.3 else "p"
            regions["main"].append(f"<{tag}>{_item(text, rng, 0.05)}</{tag}>")
        elif label == "caption":
            regions["main"].append(f'<figure><img src="/i/{i}.jpg" alt="">'
                                   f"<figcaption>{html.escape(text)}</figcaption></figure>")
        elif label == "teaser":
            regions["aside"].append(f"<li>{_item(text, rng, 0.9)}</li>")
        elif label == "ad":
            regions["ad"].append(f"<div>{_item(text, rng, 0.5)}</div>")
        elif label == "comment_ui":
            regions["comments"].append(f"<div class=\"c\"><span>{html.escape(text)}</span></div>")
        elif len(text) < 40:
            regions[rng.choice(["nav", "footer"])].append(f"<li>{_item(text, rng, 0.8)}</li>")
        else:
            regions[rng.choice(["main", "aside", "footer"])].append(
                f"<p>{_item(text, rng, 0.2)}</p>")

    def box(kind: str, tag: str, inner: str) -> str:
        cls = rng.choice(CLASSES[kind])
        if kind in ("nav", "aside", "footer") and "<li>" in inner:
            inner = f"<ul>{inner}</ul>"
        for _ in range(rng.randrange(3)):  # wrapper divs: varied depth
            inner = f'<div class="w{rng.randrange(9)}">{inner}</div>'
        if layout == "html5":
            semantic = {"nav": "nav", "main": "article", "aside": "aside", "footer": "footer"}
            tag = semantic.get(kind, tag)
        return f'<{tag} class="{cls}" id="{kind}{rng.randrange(99)}">{inner}</{tag}>'

    order = ["nav", "main", "ad", "aside", "comments", "footer"]
    if rng.random() < 0.4:
        order[1:4] = rng.sample(order[1:4], 3)
    parts = [box(k, "div", "".join(regions[k])) for k in order if regions.get(k)]
    if layout == "table":
        body = "<table><tr>" + "".join(f"<td>{p}</td>" for p in parts) + "</tr></table>"
    else:
        body = "".join(parts)
    return (f"<!doctype html><html><head><title>{html.escape(title)}</title>"
            f"<script>var x={rng.randrange(10**6)};</script></head><body>{body}</body></html>")


def generate_pages(n: int, pool: Pool, seed: int, domains: int) -> Iterator[dict[str, Any]]:
    """*n* distinct pages, seeded: each of one language, 20-120 segments, text or HTML."""
    rng = random.Random(seed)
    langs = sorted(pool)
    weights = [len(pool[k]) for k in langs]
    hosts = [f"{rng.choice(WORDS)}{k}.{rng.choice(TLDS)}" for k in range(domains)]
    for i in range(n):
        lang = rng.choices(langs, weights)[0]
        segs = rng.choices(pool[lang], k=rng.randint(20, 120))
        url = f"https://{rng.choice(hosts)}/{rng.choice(SECTIONS)}/{i}"
        rec: dict[str, Any] = {"id": f"gen{seed}-{i:07d}", "url": url}
        if rng.random() < 0.5:
            rec["text"] = _text_page(segs, rng)
        else:
            rec["html"] = _html_page(segs, rng, segs[0][0][:80])
        yield rec


def write_input(path: Path, n: int, pool: Pool, seed: int, domains: int) -> int:
    """Stream *n* generated pages into a JSONL.gz file; returns its size in bytes."""
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=3) as fh:
        for rec in generate_pages(n, pool, seed, domains):
            fh.write(json.dumps(rec, ensure_ascii=False))
            fh.write("\n")
    return path.stat().st_size


def write_config(path: Path, input_file: Path, out: Path, detector: str, workers: int) -> None:
    """configs/default.yaml with this run's input, output and language detector."""
    data = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    data["input"] = {**data.get("input", {}), "paths": [str(input_file)]}
    data["output"] = str(out)
    data["workers"] = workers
    data["language"] = {**data.get("language", {}), "detector": detector}
    # the config moves to another folder: its relative file paths stay those of configs/
    prelabel = dict(data.get("prelabel") or {})
    for key in PRELABEL_PATHS:
        value = prelabel.get(key)
        # builtin:NAME (the packaged defaults) resolves anywhere; keep it as it is
        if (isinstance(value, str) and not value.startswith("builtin:")
                and not Path(value).is_absolute()):
            prelabel[key] = str((DEFAULT_CONFIG.parent / value).resolve())
    data["prelabel"] = prelabel
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def cli() -> list[str]:
    """The `curation` console script of this interpreter's environment."""
    script = Path(sys.executable).parent / "curation"
    return [str(script)] if script.exists() else [sys.executable, "-m", "curation.cli"]


def run_measured(cmd: list[str], interval: float, log: Path) -> dict[str, Any]:
    """Run *cmd*; sample the RSS of it and its children every *interval* s; exact peak after."""
    start = time.perf_counter()
    with log.open("wb") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=fh, cwd=ROOT)
        ps = psutil.Process(proc.pid)
        peak = 0
        samples = 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            try:
                rss = ps.memory_info().rss
                for child in ps.children(recursive=True):
                    with contextlib.suppress(psutil.NoSuchProcess):
                        rss += child.memory_info().rss
            except psutil.NoSuchProcess:
                rss = 0
            peak = max(peak, rss)
            samples += 1
            time.sleep(interval)
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return {
        "returncode": proc.returncode,
        "seconds": round(time.perf_counter() - start, 1),
        "peak_rss_mb": round(peak / 2**20, 1),
        "maxrss_mb": round(usage.ru_maxrss / 1024, 1),  # Linux: KiB
        "rss_samples": samples,
    }


def main(argv: list[str] | None = None) -> int:
    """Generate inputs, run the CLI on each size, report peaks and the ratio."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="5000,50000", help="comma-separated page counts")
    ap.add_argument("--detector", default="langdetect",
                    choices=["langdetect", "fasttext", "py3langid", "none"])
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--domains", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--interval", type=float, default=0.05, help="RSS sampling period (s)")
    ap.add_argument("--workdir", type=Path, default=None, help="default: a temp folder")
    ap.add_argument("--keep", action="store_true", help="keep the inputs and outputs")
    ap.add_argument("--json", default=None, metavar="PATH", help="write the results as JSON")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    work = args.workdir or Path(tempfile.mkdtemp(prefix="curation-mem-"))
    work.mkdir(parents=True, exist_ok=True)
    pool = build_pool()
    runs = []
    try:
        for n in sizes:
            t0 = time.perf_counter()
            inp = work / f"pages-{n}.jsonl.gz"
            size = write_input(inp, n, pool, args.seed, args.domains)
            gen_s = time.perf_counter() - t0
            out, conf = work / f"out-{n}", work / f"config-{n}.yaml"
            write_config(conf, inp, out, args.detector, args.workers)
            res = run_measured([*cli(), "run", str(conf), "--overwrite"], args.interval,
                               work / f"log-{n}.txt")
            res.update(pages=n, input_mb=round(size / 2**20, 1), generate_s=round(gen_s, 1),
                       output=str(out), pages_per_s=round(n / res["seconds"], 1))
            if res["returncode"] != 0:
                print((work / f"log-{n}.txt").read_text(errors="replace")[-3000:],
                      file=sys.stderr)
            runs.append(res)
            print(f"{n:>7} pages: peak RSS {res['peak_rss_mb']:.1f} MB (sampled, tree), "
                  f"maxrss {res['maxrss_mb']:.1f} MB, {res['seconds']} s, "
                  f"{res['pages_per_s']} pages/s, input {res['input_mb']} MB gz, rc "
                  f"{res['returncode']}", flush=True)
            if not args.keep:
                inp.unlink()
                shutil.rmtree(out, ignore_errors=True)
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    first, last = runs[0], runs[-1]
    ratio = last["peak_rss_mb"] / first["peak_rss_mb"] if first["peak_rss_mb"] else 0.0
    ratio_max = last["maxrss_mb"] / first["maxrss_mb"] if first["maxrss_mb"] else 0.0
    ok = all(r["returncode"] == 0 for r in runs) and max(ratio, ratio_max) <= 1.10
    result = {"code": code_version(), "detector": args.detector, "workers": args.workers,
              "runs": runs, "ratio": round(ratio, 3), "ratio_maxrss": round(ratio_max, 3),
              "bar_ok": ok}
    print(f"peak ratio {last['pages']}/{first['pages']}: {ratio:.3f} (sampled), "
          f"{ratio_max:.3f} (maxrss)  [{'PASS' if ok else 'FAIL'}] within 10 %")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0 if all(r["returncode"] == 0 for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
