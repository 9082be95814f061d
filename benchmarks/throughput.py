"""Single-core throughput of segment + language + pre-label, next to jusText and trafilatura.

Every mode runs over the same pages in the same process, interleaved (the order rotates each
repeat), so the ratios hold even on a busy machine; absolute pages/s do not.

    .venv/bin/python benchmarks/throughput.py                    # all gold-dev pages, 5 repeats
    .venv/bin/python benchmarks/throughput.py --limit 50 --repeat 3 --json out/throughput.json
    .venv/bin/python benchmarks/throughput.py --modes html/run-langdetect,justext --pages 1000

HTML input: the gold-dev pages (../shared/data/gold-dev.jsonl.gz), each timed from its parsed
JSON record to the pre-labelled Arrow table, batched as `curation run` batches them. Text input:
distinct text dumps (seed page, bundled .txt samples, gold-dev segment texts joined by newlines).
`html/run-langdetect` is the whole `curation run` CLI on one worker in a child process on the
same HTML pages with the default config (the rules and the packaged trained cleaner; wall time
with start-up, every stage and the writes; CPU seconds per run in `cpu_s_per_run`);
`html/run-rules-only` the same with the rules alone (`prelabel.model: null`, `--rules-only`);
`html/run-fasttext` the default with `language.detector: fasttext`.
`--pages N` cycles the gold-dev pages up to N, each copy under its own id and URL, the same N
pages for every mode (start-up spread over as many pages as a real run).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _common import (
    bench_config,
    code_version,
    gold_html_records,
    page_from_record,
    peak_rss_mb,
    reset_peak_rss,
    rss_mb,
    text_pages,
)

from curation.pipeline import label_pages, segment_with_language

# (mode, ratio against, minimum ratio) and (mode, minimum pages/s): the bars
RATIO_BARS = [
    ("html/lang-given", "justext", 4.0),
    ("html/fasttext", "justext", 4.0),
    ("html/langdetect", "justext", 2.0),
    ("html/run-langdetect", "justext", 2.0),
    ("html/run-rules-only", "justext", 2.0),
]
RATE_BARS = [("text/no-langid", 3000.0)]
# the whole-run figure is in CPU time: pages per CPU-second, against jusText's
CPU_RATIO_BARS = [("html/run-langdetect", "justext", 2.0),
                  ("html/run-rules-only", "justext", 2.0)]


@dataclass
class Mode:
    name: str
    run: Callable[[], int]  # one pass over the inputs; returns the pages done
    pages: int
    samples: list[float] = field(default_factory=list)  # pages/s, one per repeat
    cpu_samples: list[float] = field(default_factory=list)  # pages per CPU-second, per repeat
    extra: dict[str, Any] = field(default_factory=dict)


def _ours(records: list[dict[str, Any]], detector: str, langs: list[str | None] | None,
          batch: int) -> Callable[[], int]:
    """One pass of the pipeline's per-batch step: record -> page dict -> pre-labelled table."""
    cfg = bench_config(detector, batch)

    def run() -> int:
        for i in range(0, len(records), batch):
            chunk = records[i : i + batch]
            if langs is None:
                pages = [page_from_record(r) for r in chunk]
            else:
                pages = [page_from_record(r, lang) for r, lang in
                         zip(chunk, langs[i : i + batch], strict=True)]
            label_pages(pages, cfg)
        return len(records)

    return run


def _ours_pages(pages: list[dict[str, Any]], detector: str, batch: int) -> Callable[[], int]:
    cfg = bench_config(detector, batch)

    def run() -> int:
        for i in range(0, len(pages), batch):
            label_pages(pages[i : i + batch], cfg)
        return len(pages)

    return run


def _whole_run(records: list[dict[str, Any]], extra: dict[str, Any],
               detector: str = "langdetect", rules_only: bool = False) -> Callable[[], int]:
    """The whole `curation run` CLI on one worker, in a child process, on the same pages (as
    one JSONL file): start-up, reading, every stage and the Parquet writes, as a user pays;
    *detector* is the config's language detector; the packaged cleaner votes with the rules
    unless *rules_only*."""
    import resource
    import subprocess
    import tempfile

    import yaml

    work = Path(tempfile.mkdtemp(prefix="curation-throughput-"))
    prelabel = {"prelabel": {"model": None}} if rules_only else {}
    with (work / "pages.jsonl").open("w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps({"id": str(r["page_id"]), "url": r.get("url"),
                                 "html": r["html"]}) + "\n")
    config = work / "run.yaml"
    config.write_text(yaml.safe_dump({"input": {"paths": [str(work / "pages.jsonl")]},
                                      "output": str(work / "out"), "workers": 1,
                                      "language": {"detector": detector}, **prelabel}))

    def run() -> int:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-m", "curation.cli", "run", str(config), "--overwrite"],
                       check=True, capture_output=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        extra.setdefault("cpu_s_per_run", []).append(round(cpu, 2))
        stats = json.loads((work / "out" / "stats.json").read_text(encoding="utf-8"))
        extra["run_pages"] = stats["summary"]["pages"]  # every page kept: none deduplicated
        extra["model"] = stats["model"]["file"]  # the cleaner that voted (None: rules alone)
        return len(records)

    return run


def _justext(htmls: list[str]) -> Callable[[], int]:
    import justext

    stoplist = justext.get_stoplist("English")  # loaded once: the charitable way to call it

    def run() -> int:
        for html in htmls:
            justext.justext(html, stoplist)
        return len(htmls)

    return run


def _trafilatura(htmls: list[str]) -> Callable[[], int]:
    import trafilatura

    def run() -> int:
        for html in htmls:
            trafilatura.extract(html)
        return len(htmls)

    return run


def _lexbor(htmls: list[str]) -> Callable[[], int]:
    from selectolax.lexbor import LexborHTMLParser

    def run() -> int:
        for html in htmls:
            LexborHTMLParser(html)
        return len(htmls)

    return run


def given_langs(records: list[dict[str, Any]]) -> list[str | None]:
    """The gold `lang` of each page; where it is missing, detected once here (not timed)."""
    pages = [page_from_record(r, r.get("lang")) for r in records]
    done, _ = segment_with_language(pages, bench_config("fasttext"))
    return [p["lang"] for p in done]


def cycled(records: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """*n* records: *records* repeated in order, every copy after the first with its own page
    id and URL (a run keeps each page once by id).

    >>> [r["page_id"] for r in cycled([{"page_id": "a", "url": "u"}], 3)]
    ['a', 'a~1', 'a~2']
    """
    out = []
    for i in range(n):
        rec, copy = records[i % len(records)], i // len(records)
        if copy:
            url = rec.get("url")
            rec = {**rec, "page_id": f"{rec['page_id']}~{copy}",
                   "url": f"{url}{'&' if '?' in url else '?'}copy={copy}" if url else url}
        out.append(rec)
    return out


def build_modes(limit: int | None, batch: int, only: set[str] | None,
                pages: int | None = None) -> list[Mode]:
    """Every mode over the same inputs (HTML: gold-dev records, cycled up to *pages*; text:
    distinct text dumps)."""
    records = gold_html_records(limit)
    if pages:
        records = cycled(records, pages)
    htmls = [r["html"] for r in records]
    texts = text_pages(limit)
    modes: list[Mode] = []

    def add(name: str, make: Callable[[], Callable[[], int]], n: int) -> None:
        if only is None or name in only or name.split("/")[0] in only:
            modes.append(Mode(name, make(), n))

    add("html/lang-given", lambda: _ours(records, "none", given_langs(records), batch),
        len(records))
    add("html/fasttext", lambda: _ours(records, "fasttext", None, batch), len(records))
    add("html/langdetect", lambda: _ours(records, "langdetect", None, batch), len(records))
    run_extra: dict[str, Any] = {}
    add("html/run-langdetect", lambda: _whole_run(records, run_extra), len(records))
    if modes and modes[-1].name == "html/run-langdetect":
        modes[-1].extra = run_extra
    rules_extra: dict[str, Any] = {}
    add("html/run-rules-only", lambda: _whole_run(records, rules_extra, rules_only=True),
        len(records))
    if modes and modes[-1].name == "html/run-rules-only":
        modes[-1].extra = rules_extra
    fasttext_extra: dict[str, Any] = {}
    add("html/run-fasttext", lambda: _whole_run(records, fasttext_extra, "fasttext"),
        len(records))
    if modes and modes[-1].name == "html/run-fasttext":
        modes[-1].extra = fasttext_extra
    add("text/no-langid", lambda: _ours_pages(texts, "none", batch), len(texts))
    add("text/fasttext", lambda: _ours_pages(texts, "fasttext", batch), len(texts))
    add("justext", lambda: _justext(htmls), len(htmls))
    add("trafilatura", lambda: _trafilatura(htmls), len(htmls))
    add("lexbor-parse", lambda: _lexbor(htmls), len(htmls))
    return modes


def _cpu_s() -> float:
    """CPU seconds of this process and of its finished children (the whole-run mode's)."""
    import resource

    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + kids.ru_utime + kids.ru_stime


def sample(mode: Mode, min_seconds: float) -> tuple[float, float]:
    """Pages per second and pages per CPU-second of whole passes repeated until *min_seconds*
    passed (fast modes need several). CPU time holds on a busy machine, where wall time
    measures the neighbours too."""
    gc.collect()
    done = 0
    start, cpu_start = time.perf_counter(), _cpu_s()
    while True:
        done += mode.run()
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return done / elapsed, done / max(_cpu_s() - cpu_start, 1e-9)


def measure_memory(mode: Mode) -> None:
    """Peak memory of one pass: process RSS high-water mark (reset first) and tracemalloc peak
    (Python allocations only; lexbor's own buffers show in the RSS figure)."""
    gc.collect()
    before = rss_mb()
    if before is not None and reset_peak_rss():
        mode.run()
        peak = peak_rss_mb() or 0.0
        mode.extra["peak_rss_mb"] = round(peak, 1)
        mode.extra["rss_growth_mb"] = round(peak - before, 1)  # over the loaded inputs
    gc.collect()
    tracemalloc.start()
    mode.run()
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    mode.extra["tracemalloc_peak_mb"] = round(traced / 2**20, 1)


def summarize(modes: list[Mode], args: argparse.Namespace) -> dict[str, Any]:
    """Best-of-N and median per mode, ratios against the peers, and the issue's bars."""
    by = {m.name: m for m in modes}
    result: dict[str, Any] = {
        "meta": {
            "code": code_version(),
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "loadavg_end": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
            "repeat": args.repeat,
            "limit": args.limit,
            "pages": args.pages,
            "batch_pages": args.batch,
            "min_seconds": args.min_seconds,
        },
        "modes": {},
        "ratios": {},
        "bars": [],
    }
    for m in modes:
        result["modes"][m.name] = {
            "pages": m.pages,
            "best_pps": round(max(m.samples), 2),
            "median_pps": round(statistics.median(m.samples), 2),
            "samples_pps": [round(s, 2) for s in m.samples],
            "median_cpu_pps": round(statistics.median(m.cpu_samples), 2),
            "samples_cpu_pps": [round(s, 2) for s in m.cpu_samples],
            **m.extra,
        }
    for m in modes:
        if m.name.startswith("html/"):
            for peer in ("justext", "trafilatura", "lexbor-parse"):
                if peer in by:
                    paired = [a / b for a, b in zip(m.samples, by[peer].samples, strict=True)]
                    cpu = [a / b for a, b in zip(m.cpu_samples, by[peer].cpu_samples,
                                                 strict=True)]
                    result["ratios"][f"{m.name} / {peer}"] = {
                        # per repeat, the two ran back to back: the most noise-proof figure
                        "paired_median": round(statistics.median(paired), 3),
                        "cpu_paired_median": round(statistics.median(cpu), 3),
                        "best": round(max(m.samples) / max(by[peer].samples), 3),
                        "median": round(
                            statistics.median(m.samples) / statistics.median(by[peer].samples), 3
                        ),
                    }
    for name, peer, bar in RATIO_BARS:
        if name in by and peer in by:
            got = result["ratios"][f"{name} / {peer}"]["paired_median"]
            result["bars"].append({"bar": f"{name} >= {bar}x {peer} (paired median)", "got": got,
                                   "ok": got >= bar})
    for name, peer, bar in CPU_RATIO_BARS:
        if name in by and peer in by:
            got = result["ratios"][f"{name} / {peer}"]["cpu_paired_median"]
            result["bars"].append({"bar": f"{name} >= {bar}x {peer} (CPU, paired median)",
                                   "got": got, "ok": got >= bar})
    for name, rate in RATE_BARS:
        if name in by:
            got = result["modes"][name]["best_pps"]
            result["bars"].append({"bar": f"{name} >= {rate:.0f} pages/s", "got": got,
                                   "ok": got >= rate})
    return result


def report(result: dict[str, Any]) -> str:
    """The result as a plain-text table."""
    lines = [f"{'mode':18} {'pages':>6} {'best p/s':>10} {'median p/s':>11} {'p/CPU-s':>8} "
             f"{'peak RSS MB':>12} {'RSS +MB':>8} {'py peak MB':>11}"]
    for name, m in result["modes"].items():
        lines.append(f"{name:18} {m['pages']:>6} {m['best_pps']:>10.1f} {m['median_pps']:>11.1f} "
                     f"{m['median_cpu_pps']:>8.1f} "
                     f"{m.get('peak_rss_mb', float('nan')):>12.1f} "
                     f"{m.get('rss_growth_mb', float('nan')):>8.1f} "
                     f"{m.get('tracemalloc_peak_mb', float('nan')):>11.1f}")
    lines.append("")
    for key, r in result["ratios"].items():
        lines.append(f"{key:34} paired median {r['paired_median']:6.3f}x   best "
                     f"{r['best']:6.3f}x   median {r['median']:6.3f}x   CPU paired median "
                     f"{r['cpu_paired_median']:6.3f}x")
    lines.append("")
    for b in result["bars"]:
        lines.append(f"[{'PASS' if b['ok'] else 'FAIL'}] {b['bar']}: got {b['got']}")
    return "\n".join(lines)


def profile(modes: list[Mode], name: str, top: int = 30) -> int:
    """cProfile one (warm) pass of the mode *name*: top functions by own and cumulative time."""
    import cProfile
    import pstats

    (mode,) = [m for m in modes if m.name == name] or [None]
    if mode is None:
        print(f"no mode {name!r}; one of {[m.name for m in modes]}", file=sys.stderr)
        return 2
    prof = cProfile.Profile()
    prof.runcall(mode.run)
    st = pstats.Stats(prof)
    st.sort_stats("tottime").print_stats(top)
    st.sort_stats("cumulative").print_stats(top)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run every mode interleaved, print the table, optionally write JSON."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None, help="at most N pages of each input")
    ap.add_argument("--pages", type=int, default=None,
                    help="HTML modes: cycle the gold-dev pages up to N pages (distinct ids, URLs)")
    ap.add_argument("--repeat", type=int, default=5, help="interleaved repeats (best-of-N)")
    ap.add_argument("--batch", type=int, default=256, help="pages per label_pages call")
    ap.add_argument("--min-seconds", type=float, default=0.3,
                    help="repeat a pass within one sample until this long (fast modes)")
    ap.add_argument("--modes", default=None,
                    help="comma-separated subset, e.g. html,justext (default: all)")
    ap.add_argument("--no-memory", action="store_true", help="skip the peak-memory passes")
    ap.add_argument("--profile", default=None, metavar="MODE",
                    help="instead of timing: cProfile one pass of MODE, print the hot spots")
    ap.add_argument("--json", nargs="?", const="-", default=None, metavar="PATH",
                    help="write the results as JSON to PATH (stdout when no PATH)")
    args = ap.parse_args(argv)
    only = set(args.modes.split(",")) if args.modes else None
    modes = build_modes(args.limit, args.batch, only, args.pages)
    if not modes:
        ap.error(f"no mode matches {args.modes!r}")
    for m in modes:  # warm-up: model loads, caches, imports
        m.run()
    if args.profile:
        return profile(modes, args.profile)
    for r in range(args.repeat):
        shift = r % len(modes)
        for m in modes[shift:] + modes[:shift]:
            pps, cpu_pps = sample(m, args.min_seconds)
            m.samples.append(pps)
            m.cpu_samples.append(cpu_pps)
        print(f"repeat {r + 1}/{args.repeat} done", file=sys.stderr, flush=True)
    if not args.no_memory:
        for m in modes:
            measure_memory(m)
    result = summarize(modes, args)
    if args.json == "-":
        print(json.dumps(result, indent=2))
    else:
        print(report(result))
        if args.json:
            Path(args.json).parent.mkdir(parents=True, exist_ok=True)
            Path(args.json).write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
