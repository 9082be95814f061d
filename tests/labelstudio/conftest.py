"""A real Label Studio server for the tests: the one at $LABEL_STUDIO_URL, or one started here
with scripts/labelstudio.sh (and stopped at the end). No server -> the tests fail, never skip."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from label_studio_sdk import LabelStudio

from curation.config import LabelStudioConfig, RunConfig

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "labelstudio.sh"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def ls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(url, token) of a running server; exported to the env for the library's connect()."""
    url, key = os.environ.get("LABEL_STUDIO_URL"), os.environ.get("LABEL_STUDIO_API_KEY")
    started: dict[str, str] | None = None
    if not (url and key):
        port = str(_free_port())
        data = tmp_path_factory.mktemp("labelstudio-data") / "data"
        env = {**os.environ, "LS_PORT": port, "LS_DATA_DIR": str(data)}
        proc = subprocess.run(["bash", str(SCRIPT), "start", "--fresh"], env=env,
                              capture_output=True, text=True, timeout=900)
        m = re.search(r"LABEL_STUDIO_URL=(\S+) LABEL_STUDIO_API_KEY=(\S+)", proc.stdout)
        if proc.returncode != 0 or not m:
            pytest.fail(f"no Label Studio server: LABEL_STUDIO_URL/LABEL_STUDIO_API_KEY are unset "
                        f"and `scripts/labelstudio.sh start` failed (rc {proc.returncode}):\n"
                        f"{proc.stderr[-3000:]}", pytrace=False)
        url, key, started = m.group(1), m.group(2), env
        os.environ["LABEL_STUDIO_URL"], os.environ["LABEL_STUDIO_API_KEY"] = url, key
    try:
        LabelStudio(base_url=url, api_key=key, timeout=30, max_retries=0).users.whoami()
    except Exception as exc:  # any failure here means the suite cannot run: say why, loudly
        pytest.fail(f"Label Studio at {url} is not usable with LABEL_STUDIO_API_KEY: {exc!r}",
                    pytrace=False)
    yield url, key
    if started is not None:
        subprocess.run(["bash", str(SCRIPT), "stop"], env=started, timeout=60, check=False)
        for var in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY"):
            os.environ.pop(var, None)


@pytest.fixture(scope="session")
def ls(ls_server: tuple[str, str]) -> LabelStudio:
    """SDK client for the test server (no retries: a retried POST could duplicate)."""
    return LabelStudio(base_url=ls_server[0], api_key=ls_server[1], timeout=120, max_retries=0)


@pytest.fixture(scope="session")
def annotators(ls: LabelStudio) -> dict[str, int]:
    """Two annotator accounts (email -> user id), made once per server."""
    users = {u.email: u.id for u in ls.users.list()}
    out = {}
    for name in ("ann1", "ann2"):
        email = f"{name}@example.com"
        if email not in users:
            users[email] = ls.users.create(username=name, email=email, password="pw-" + name).id
        out[email] = users[email]
    return out


@pytest.fixture()
def make_cfg(tmp_path: Path, ls: LabelStudio) -> Iterator[Any]:
    """Factory of RunConfigs with a project title unique to this test; projects deleted after."""
    titles: list[str] = []

    def factory(**ls_opts: Any) -> RunConfig:
        title = f"test-{uuid.uuid4().hex[:10]}"
        titles.append(title)
        return RunConfig(output=str(tmp_path / "out"),
                         labelstudio=LabelStudioConfig(project_title=title, **ls_opts))

    yield factory
    for title in titles:
        for p in ls.projects.list(title=title):
            if p.title == title:
                ls.projects.delete(id=p.id)
