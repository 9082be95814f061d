"""A real Chromium (Playwright, the system's browser) against a real Label Studio: make a task
from a gold page, open it, time it, relabel a run of segments by dragging over it, submit, and
take the README's screenshot. Used by benchmarks/annotation_effort.py --first-paint and by
tests/labelstudio/test_browser.py.

Chromium comes from the system (`apt-get install chromium`; scripts/test.sh installs it);
Playwright's own browser download is not needed. Login: LS_USER / LS_PASSWORD (the defaults of
scripts/labelstudio.sh)."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import GOLD_DEV, page_from_record, read_gold  # noqa: E402

from curation.config import RunConfig  # noqa: E402
from curation.labelstudio.tasks import Page  # noqa: E402
from curation.pipeline import label_pages  # noqa: E402

# Label Studio project settings of the scratch projects (as curation's own projects get them):
# pre-labels shown to the annotator, tasks in the label stream by id
PROJECT_SETTINGS: dict[str, Any] = {"show_collab_predictions": True,
                                    "sampling": "Sequential sampling"}
CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
PARAGRAPH = '[data-testid^="phrase:"]'  # one line (segment) of the paragraphs screen
# per layout: one line (segment) of the screen, and the element holding the segment's text
LINE = {"hypertext": "p[data-line]", "paragraphs": PARAGRAPH}
LINE_TEXT = {"hypertext": "p[data-line]",
             "paragraphs": f'{PARAGRAPH} [class*="dialoguetext--"]'}
REGION = ".htx-highlight"  # a labelled region (pre-label or drawn)
_SHOWN = "data-shown"  # marks what was on screen before the label stream's next task
# the on-screen box of an element's text (a hypertext line's heading is a CSS ::before,
# outside the text): where a drag over lines starts and ends
_TEXT_BOX = """el => { const r = document.createRange(); r.selectNodeContents(el);
  const rs = r.getClientRects(); const a = rs[0], b = rs[rs.length - 1];
  return {x0: a.left, y0: a.top + a.height / 2, x1: b.right, y1: b.top + b.height / 2,
          bottom: b.bottom}; }"""


def chromium_path() -> str:
    """The system Chromium; a clear error when there is none."""
    for p in (os.environ.get("CHROMIUM"), *CHROMIUM_PATHS):
        if p and Path(p).is_file():
            return p
    found = shutil.which("chromium")
    if found:
        return found
    raise RuntimeError("no Chromium found: `apt-get install -y chromium` (scripts/test.sh does "
                       "it) or set CHROMIUM to the browser's path")


def gold_page(min_segments: int = 300, cfg: RunConfig | None = None,
              prefer: str = "scrapinghub:") -> Page:
    """The smallest gold-dev page with at least *min_segments* segments (pre-labelled by the
    pipeline), preferring pages whose id starts with *prefer* (English news)."""
    cfg = cfg or RunConfig()
    from curation.segment.core import segment_page

    sized = []
    for rec in read_gold(GOLD_DEV):
        if isinstance(rec.get("html"), str):
            page = page_from_record(rec)
            n = len(segment_page(page, cfg.segment.max_segment_chars))
            if n >= min_segments:
                sized.append((not page["page_id"].startswith(prefer), n, page["page_id"], page))
    if not sized:
        raise RuntimeError(f"no gold-dev page has {min_segments} segments")
    return page_of(min(sized, key=lambda s: s[:3])[3], cfg)


def page_of(page: dict[str, Any], cfg: RunConfig) -> Page:
    """A PAGE_SCHEMA dict segmented and pre-labelled, as the push reads it from segments/."""
    table = label_pages([page], cfg)
    segs = sorted(table.to_pylist(), key=lambda r: r["position"])
    return Page(page["page_id"], page.get("url") or "", segs)


@dataclass
class Timing:
    first_paint_s: float  # navigation -> the first line of the page is on screen
    usable_s: float  # navigation -> every line and every pre-label region is rendered
    lines: int
    regions: int
    # CPU seconds all of Chromium's processes spent over the same span: what the screen costs
    # whatever else the machine's CPUs were doing (wall time on a busy machine says little)
    browser_cpu_s: float | None = None


@contextmanager
def browser(width: int = 1400, height: int = 900) -> Iterator[Any]:
    """A Playwright page in a headless system Chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path(), headless=True,
                               args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            ctx = b.new_context(viewport={"width": width, "height": height})
            yield ctx.new_page()
        finally:
            b.close()


def login(page: Any, url: str) -> None:
    """Log in through Label Studio's own form."""
    page.goto(f"{url}/user/login", wait_until="domcontentloaded")
    page.fill("input[name=email]", os.environ.get("LS_USER", "admin@example.com"))
    page.fill("input[name=password]", os.environ.get("LS_PASSWORD", "curation-admin"))
    with page.expect_navigation():
        page.click("button[type=submit], input[type=submit]")


def open_task(page: Any, url: str, project_id: int, task_id: int, lines: int,
              timeout_s: float = 60, regions: int = 1, layout: str = "hypertext") -> Timing:
    """Open the task by its URL (Label Studio's whole app loads again); time the first line
    on screen and a usable screen (until_usable)."""
    cpu0, t0 = browser_cpu(), time.perf_counter()
    page.goto(f"{url}/projects/{project_id}/data?task={task_id}", wait_until="commit")
    return until_usable(page, t0, cpu0, lines, regions, layout, timeout_s)


def open_stream(page: Any, url: str, project_id: int, lines: int, regions: int,
                layout: str = "hypertext", timeout_s: float = 60) -> Timing:
    """Open the project's label stream (*Label All Tasks*) and wait for its first task."""
    cpu0, t0 = browser_cpu(), time.perf_counter()
    page.goto(f"{url}/projects/{project_id}/data?labeling=1", wait_until="commit")
    return until_usable(page, t0, cpu0, lines, regions, layout, timeout_s)


def next_in_stream(page: Any, lines: int, regions: int, layout: str = "hypertext",
                   timeout_s: float = 60) -> Timing:
    """In the label stream, Submit the task on screen and time the next one, which Label
    Studio loads into the editor without reloading the app: from the click to a usable
    screen. The lines on screen are marked first, so that only the next task's count."""
    shown = json.dumps(f"{LINE[layout]}, {REGION}")
    page.evaluate(f"() => document.querySelectorAll({shown})"
                  f".forEach(e => e.setAttribute('{_SHOWN}', ''))")
    cpu0, t0 = browser_cpu(), time.perf_counter()
    # lines drawn before the next task has come (the one submitted, drawn again) do not count
    with page.expect_response(lambda r: "next_task" in r.url and r.ok,
                              timeout=timeout_s * 1000):
        submit(page)
    return until_usable(page, t0, cpu0, lines, regions, layout, timeout_s)


def until_usable(page: Any, t0: float, cpu0: float, lines: int, regions: int, layout: str,
                 timeout_s: float) -> Timing:
    """Wait for a usable screen: *lines* lines and *regions* pre-label regions drawn, the same
    on two polls; times from *t0* (perf_counter) and Chromium's CPU from *cpu0*. Polls with
    one plain query every 50 ms: Playwright's wait_for_selector re-runs its query on every
    DOM mutation, which slowed the 300-line render down two- to three-fold."""
    fresh = [json.dumps(f"{sel}:not([{_SHOWN}])") for sel in (LINE[layout], REGION)]
    count = (f"() => [document.querySelectorAll({fresh[0]}).length, "
             f"document.querySelectorAll({fresh[1]}).length]")
    first: float | None = None
    last = None
    while True:
        n_lines, n_regions = page.evaluate(count)
        now = time.perf_counter() - t0
        if first is None and n_lines:
            first = now
        if n_lines >= lines and n_regions >= regions and last == (n_lines, n_regions):
            break
        last = (n_lines, n_regions)
        if now > timeout_s:
            raise TimeoutError(f"after {timeout_s} s: {n_lines} of {lines} lines on screen, "
                               f"{n_regions} regions")
        time.sleep(0.05)
    return Timing(round(first or now, 3), round(now, 3), n_lines, n_regions,
                  round(browser_cpu() - cpu0, 3))


def browser_cpu() -> float:
    """User + system CPU seconds of the Chromium processes started from this process (a
    renderer that exited meanwhile is not counted: the figure errs low, never high)."""
    import psutil

    total = 0.0
    for proc in psutil.Process().children(recursive=True):
        try:
            if "chrom" in proc.name().lower():
                t = proc.cpu_times()
                total += t.user + t.system
        except psutil.Error:
            continue
    return total


def drag_label(page: Any, first: int, last: int, hotkey: str, layout: str = "hypertext") -> None:
    """Label lines first..last in one action: press the label's hotkey, drag over the run; on
    release Label Studio draws one region with that label over the whole run (it wins over
    any pre-label region under it). Text selected first and a hotkey pressed after only
    picks the label."""
    texts = page.locator(LINE_TEXT[layout])
    deadline = time.perf_counter() + 120  # the screen may still be re-rendering on a busy host
    while texts.count() <= last:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{texts.count()} line texts on screen, need {last + 1}")
        time.sleep(0.1)
    # a few lines of margin above: the label bar is pinned over the top of the screen
    texts.nth(max(first - 4, 0)).evaluate("el => el.scrollIntoView({block: 'start'})")
    a, b = texts.nth(first).evaluate(_TEXT_BOX), texts.nth(last).evaluate(_TEXT_BOX)
    if b["bottom"] > page.viewport_size["height"]:
        raise RuntimeError(f"lines {first}..{last} do not fit on one screen; use a taller window")
    page.keyboard.press(hotkey)
    page.mouse.move(a["x0"] + 1, a["y0"])
    page.mouse.down()
    page.mouse.move(b["x1"] - 1, b["y1"], steps=10)
    page.mouse.up()


def submit(page: Any) -> None:
    """Press Submit (or Update) and wait for the server to take it."""
    button = page.locator("button:has-text('Submit'), button:has-text('Update')").first
    with page.expect_response(lambda r: "/annotations" in r.url and r.request.method in
                              ("POST", "PATCH") and r.ok, timeout=30_000):
        button.click()


def drawn_regions(task: dict[str, Any]) -> int:
    """How many pre-label regions a task draws (its prediction's result items)."""
    preds = task.get("predictions") or []
    return len(preds[0]["result"]) if preds else 0


def time_largest_page(gold: Any, cfg: RunConfig, regions: str = "unsure",
                      layout: str = "hypertext", repeat: int = 1) -> dict[str, Any]:
    """time_page of one gold page (a GoldPage), segmented and pre-labelled by the pipeline."""
    from curation.gold import page_record

    return time_page(page_of(page_record(gold), cfg), cfg, regions, layout, repeat)


def time_page(page: Page, cfg: RunConfig, regions: str = "unsure", layout: str = "hypertext",
              repeat: int = 1, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """Push *page* to $LABEL_STUDIO_URL in a scratch project with *layout*,
    prelabel_regions=*regions* and the project *settings* (PROJECT_SETTINGS by default), and
    time it in Chromium two ways, each against a one-segment task of the same page (Label
    Studio's own share of the time), *repeat* times in turn (medians are reported):
    opened by its URL (the whole app loads), and as the next task of the label stream, after
    a one-segment task is submitted (what a working annotator waits for). The browser cache is
    warmed first, as for a working annotator. The project is deleted afterwards."""
    import uuid

    from curation.labelstudio import connect, label_config
    from curation.labelstudio.tasks import build_tasks

    one = Page(page.page_id + "#1", page.url, page.segments[:1])
    ls = connect(cfg)
    screen = cfg.model_copy(update={"labelstudio": cfg.labelstudio.model_copy(
        update={"layout": layout, "prelabel_regions": regions})})
    p = ls.projects.create(title=f"first-paint-{uuid.uuid4().hex[:8]}",
                           label_config=label_config(cfg.labels, layout),
                           model_version=cfg.labelstudio.model_version,
                           **(PROJECT_SETTINGS if settings is None else settings))
    try:
        big, small = build_tasks([page, one], screen)
        # the label stream takes tasks by id: a one-segment task, then per repeat the page and
        # two one-segment tasks; the tasks opened by URL come last, never reached by it
        tasks = [small, *[big, small, small] * repeat, big, small]
        ids = ls.projects.import_tasks(id=p.id, request=tasks, return_task_ids=True).task_ids
        url = os.environ["LABEL_STUDIO_URL"].rstrip("/")
        n, n_big, n_small = len(page.segments), drawn_regions(big), drawn_regions(small)
        by_url: list[tuple[Timing, Timing]] = []
        stream: list[tuple[Timing, Timing]] = []
        with browser() as tab:
            login(tab, url)
            open_task(tab, url, p.id, ids[-1], 1, 300, n_small, layout)  # warms the cache
            for _ in range(repeat):
                by_url.append((open_task(tab, url, p.id, ids[-2], n, 300, n_big, layout),
                               open_task(tab, url, p.id, ids[-1], 1, 300, n_small, layout)))
            open_stream(tab, url, p.id, 1, n_small, layout, 300)
            for _ in range(repeat):
                page_next = next_in_stream(tab, n, n_big, layout, 300)
                next_in_stream(tab, 1, n_small, layout, 300)
                stream.append((page_next, next_in_stream(tab, 1, n_small, layout, 300)))
        return {"page_id": page.page_id, "segments": n, "layout": layout,
                "prelabel_regions": regions, "regions": n_big, "runs": repeat,
                "first_paint_s": _median([t.first_paint_s for t, _ in by_url]),
                "usable_s": _median([t.usable_s for t, _ in by_url]),
                "browser_cpu_s": _median([t.browser_cpu_s for t, _ in by_url]),
                "one_segment_usable_s": _median([b.usable_s for _, b in by_url]),
                "one_segment_browser_cpu_s": _median([b.browser_cpu_s for _, b in by_url]),
                "stream_usable_s": _median([t.usable_s for t, _ in stream]),
                "stream_browser_cpu_s": _median([t.browser_cpu_s for t, _ in stream]),
                "stream_one_segment_usable_s": _median([b.usable_s for _, b in stream]),
                "stream_one_segment_browser_cpu_s": _median([b.browser_cpu_s
                                                             for _, b in stream])}
    finally:
        ls.projects.delete(id=p.id)


def _median(values: list[float | None]) -> float | None:
    import statistics

    known = [v for v in values if v is not None]
    return round(statistics.median(known), 3) if known else None
