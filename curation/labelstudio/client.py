"""Talking to a Label Studio server: connect, find or create the project, push, fetch."""

from __future__ import annotations

import contextlib
import json
import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any, TypeVar, cast

import httpx
from label_studio_sdk import LabelStudio
from label_studio_sdk.core.api_error import ApiError
from label_studio_sdk.core.request_options import RequestOptions
from label_studio_sdk.projects import ImportTasksProjectsResponse
from label_studio_sdk.types import (
    AllRolesProjectList,
    RoleBasedTask,
    SerializationOptionRequest,
    SerializationOptionsRequest,
)

from curation.config import RunConfig
from curation.config import redact_url as redact
from curation.labelstudio.errors import LabelStudioError
from curation.labelstudio.labelconfig import label_config, same_config
from curation.labelstudio.tasks import Select, build_tasks, load_pages, select_pages, task_key

T = TypeVar("T")
START_HINT = "start one with `eval \"$(scripts/labelstudio.sh start)\"`"


def call(what: str, fn: Callable[[], T]) -> T:
    """Run one SDK call; turn transport and HTTP errors into a LabelStudioError that says why."""
    try:
        return fn()
    except ApiError as exc:
        body = str(exc.body)[:300]
        if exc.status_code == 401:
            raise LabelStudioError(
                f"{what}: the server rejected the API token (401: {body}); set "
                "LABEL_STUDIO_API_KEY to your token (Account & Settings in the UI)") from None
        raise LabelStudioError(redact(f"{what}: HTTP {exc.status_code}: {body}")) from None
    except httpx.TimeoutException:
        raise LabelStudioError(f"{what}: timed out; raise labelstudio.timeout_s in the config "
                               "or lower labelstudio.batch_size") from None
    except httpx.TransportError as exc:
        raise LabelStudioError(redact(f"{what}: cannot reach the server ({exc}); {START_HINT}")
                               ) from None


def server_url(cfg: RunConfig) -> str:
    """The server URL: config first, then $LABEL_STUDIO_URL."""
    url = cfg.labelstudio.url or os.environ.get("LABEL_STUDIO_URL")
    if not url:
        raise LabelStudioError(f"no Label Studio URL: set labelstudio.url in the config or "
                               f"LABEL_STUDIO_URL; {START_HINT}")
    return url.rstrip("/")


def connect(cfg: RunConfig) -> LabelStudio:
    """A client for the configured server, checked with whoami; the token only from the env."""
    key = os.environ.get("LABEL_STUDIO_API_KEY")
    if not key:
        raise LabelStudioError("LABEL_STUDIO_API_KEY is not set (the token is never read from a "
                               f"file); {START_HINT}")
    url = server_url(cfg)
    # max_retries=0: the SDK retries POSTs on 5xx/timeouts, which can import a batch twice.
    # the SDK's client forwards **kwargs untyped to its generated base client
    ls = LabelStudio(  # type: ignore[no-untyped-call]
        base_url=url, api_key=key, timeout=cfg.labelstudio.timeout_s, max_retries=0)
    call(f"connect to {redact(url)}", ls.users.whoami)
    return ls


def find_project(ls: LabelStudio, title: str) -> Any | None:
    """The project with exactly this title, None if there is none."""
    def listed() -> list[AllRolesProjectList]:
        return list(ls.projects.list(title=title))

    found = [p for p in call("list projects", listed) if p.title == title]
    if len(found) > 1:
        raise LabelStudioError(f"{len(found)} projects are titled {title!r} (ids "
                               f"{[p.id for p in found]}); rename all but one, or set "
                               "labelstudio.project_title")
    return found[0] if found else None


def ensure_project(ls: LabelStudio, cfg: RunConfig, create: bool = True) -> Any:
    """Find the configured project (its config must be ours) or create it."""
    ls_cfg = cfg.labelstudio
    xml = label_config(cfg.labels, ls_cfg.layout)
    project = find_project(ls, ls_cfg.project_title)
    if project is None:
        if not create:
            raise LabelStudioError(f"no project titled {ls_cfg.project_title!r} on the server; "
                                   "push first (or fix labelstudio.project_title)")
        return call("create project", lambda: ls.projects.create(
            title=ls_cfg.project_title, label_config=xml, model_version=ls_cfg.model_version,
            show_collab_predictions=True,
            description="Segments of scraped pages, one label each (made by curation)"))
    full = call("get project", lambda: ls.projects.get(id=project.id))
    if not same_config(full.label_config or "", xml):
        raise LabelStudioError(
            f"project {ls_cfg.project_title!r} (id {project.id}) has another labelling config "
            f"than labels {cfg.labels} with layout {ls_cfg.layout!r} need; use a new "
            "labelstudio.project_title, or restore the labels/layout it was made with")
    return full


def existing_keys(ls: LabelStudio, project_id: int, layout: str) -> Counter[str]:
    """page_id (or segment_id) of every task already in the project, with its count."""
    keys: Counter[str] = Counter()

    def scan() -> None:
        tasks: Iterable[RoleBasedTask] = ls.tasks.list(project=project_id, fields="task_only",
                                                       page_size=1000)
        for t in tasks:
            key = task_key(dict(t.data or {}), layout)
            if key is not None:
                keys[key] += 1
    call("list existing tasks", scan)
    return keys


@dataclass(slots=True)
class PushReport:
    """What a push did."""

    project_id: int
    pages_selected: int
    tasks_already_there: int
    tasks_imported: int
    predictions_imported: int
    batches: int
    duplicate_tasks_on_server: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def push(cfg: RunConfig, select: Select = "all", limit: int | None = None,
         ls: LabelStudio | None = None, below: float | None = None) -> PushReport:
    """Import the run's segments as tasks with predictions; only tasks not yet in the project,
    so pushing twice adds nothing and a push cut off half-way resumes without duplicates.
    *below*: only segments less sure than this go (hypertext or paragraphs layout); the rest
    keep their pre-label."""
    ls_cfg = cfg.labelstudio
    pages = load_pages(cfg.resolve(cfg.output) / "segments")
    ls = ls or connect(cfg)
    project = ensure_project(ls, cfg)
    have = existing_keys(ls, project.id, ls_cfg.layout)
    if ls_cfg.layout != "segment":
        skip = set(have)
    else:  # a page is done when all its segments are tasks; a partial page gets the rest
        skip = {p.page_id for p in pages if all(s["segment_id"] in have for s in p.segments)}
    chosen = select_pages(pages, select, limit, skip)
    tasks = [t for t in build_tasks(chosen, cfg, below)
             if task_key(t["data"], ls_cfg.layout) not in have]
    imported = predictions = batches = 0
    opts: RequestOptions = {"max_retries": 0, "timeout_in_seconds": int(ls_cfg.timeout_s)}
    for start in range(0, len(tasks), ls_cfg.batch_size):
        batch = tasks[start:start + ls_cfg.batch_size]

        def send(b: list[dict[str, Any]] = batch) -> ImportTasksProjectsResponse:
            # plain task dicts: the SDK writes the request as JSON whatever the item type
            return ls.projects.import_tasks(id=project.id, request=cast(Any, b),
                                            return_task_ids=True, request_options=opts)
        try:
            r = call("import tasks", send)
        except LabelStudioError as exc:
            raise LabelStudioError(
                f"{exc}\npush stopped after {imported} of {len(tasks)} new tasks; run the same "
                "push again to resume (tasks already in the project are never imported twice)"
            ) from None
        imported += r.task_count or 0
        predictions += imported_predictions(r)
        batches += 1
    return PushReport(project.id, len(chosen), sum(have.values()), imported, predictions, batches,
                      sum(n - 1 for n in have.values() if n > 1))


def imported_predictions(r: ImportTasksProjectsResponse) -> int:
    """Predictions an import made: Label Studio Community answers `prediction_count` (kept
    as an extra field), the SDK's model names it `predictions_count`."""
    n = getattr(r, "prediction_count", None)
    return int(n if isinstance(n, int) else r.predictions_count or 0)


def fetch_tasks(ls: LabelStudio, project_id: int, timeout_s: float) -> list[dict[str, Any]]:
    """Every task with annotations and full predictions, via a snapshot export (one request
    that the server builds in one go, far faster than paging for large projects)."""
    opts: RequestOptions = {"timeout_in_seconds": int(timeout_s), "max_retries": 0}
    snap = call("create export snapshot", lambda: ls.projects.exports.create(
        id=project_id, title="curation pull", request_options=opts,
        serialization_options=SerializationOptionsRequest(
            predictions=SerializationOptionRequest(only_id=False))))
    if snap.id is None:
        raise LabelStudioError("the server made an export snapshot without an id")
    pk: int = snap.id
    try:
        status = call("check export", lambda: ls.projects.exports.get(
            id=project_id, export_pk=pk)).status
        if status != "completed":
            raise LabelStudioError(f"export snapshot {pk} is {status!r}, not completed; "
                                   "see the server log, then pull again")
        raw = call("download export", lambda: b"".join(ls.projects.exports.download(
            id=project_id, export_pk=pk, export_type="JSON", request_options=opts)))
    finally:  # snapshots are files on the server: do not pile them up
        with contextlib.suppress(ApiError, httpx.HTTPError):
            ls.projects.exports.delete(id=project_id, export_pk=pk)
    data = json.loads(raw)
    if not isinstance(data, list):
        raise LabelStudioError("the export is not a JSON list of tasks")
    return data
