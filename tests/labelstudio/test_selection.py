"""Which pages go to review and how a line reads; no credential leaks into files or messages;
the start script keeps its secrets private. No server needed."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from curation.config import LabelStudioConfig, RunConfig, dump_config
from curation.labelstudio import LabelStudioError, connect
from curation.labelstudio.tasks import Page, select_pages, where

ROOT = Path(__file__).resolve().parents[2]


def page(pid: str, domain: str, confs: list[float], texts: list[str] | None = None) -> Page:
    texts = texts or [f"{pid} text {i}" for i in range(len(confs))]
    return Page(pid, f"https://{domain}/{pid}", [
        {"segment_id": f"{pid}:{i}", "text": t, "confidence": c, "domain": domain, "votes": [],
         "prelabel": "other"} for i, (t, c) in enumerate(zip(texts, confs, strict=True))])


def test_uncertain_ranks_by_expected_corrections_spread_over_sites_without_copies() -> None:
    menu = [f"menu item {i}" for i in range(10)]
    pages = [
        page("a1", "a.com", [0.1] * 10, menu),  # 9.0 expected corrections
        page("a2", "a.com", [0.1] * 10, menu[:9] + ["a2 only"]),  # a near-copy of a1: 8.9 too
        page("a3", "a.com", [0.5] * 10),  # 5.0
        page("b1", "b.com", [0.3] * 10),  # 7.0
        page("c1", "c.com", [0.9] * 10),  # 1.0
        page("b2", "b.com", [0.05, 0.99]),  # lowest single confidence, but 0.96 in all
    ]
    chosen = [p.page_id for p in select_pages(pages, "uncertain", limit=4)]
    # each site's best page first (a, b, c), then the second best; a2 is a copy of a1
    assert chosen == ["a1", "b1", "c1", "a3"]
    assert [p.page_id for p in select_pages(pages, "uncertain", limit=4, skip_ids={"a1"})] == [
        "a2", "b1", "c1", "a3"]
    assert [p.page_id for p in select_pages(pages, "all", limit=2)] == ["a1", "a2"]


def test_a_line_says_where_the_segment_sits() -> None:
    seg: dict[str, Any] = {"tag_path": "body>div>h2", "link_density": 0.0, "after_image": False,
                           "confidence": 0.95}
    assert where(3, seg) == "3 · h2"
    seg.update(tag_path="body>ul>li", link_density=0.8, after_image=True, confidence=0.41)
    assert where(4, seg) == "4 · li · links 80% · after image · unsure 0.41"
    assert where(5, {"tag_path": None, "confidence": None}) == "5 · text · unsure"


def test_url_credentials_never_reach_files_or_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "http://me:s3cret-pw@127.0.0.1:9/ls?token=tok-123&x=1"
    cfg = RunConfig(labelstudio=LabelStudioConfig(url=url))
    dumped = dump_config(cfg)
    assert "s3cret" not in dumped and "tok-123" not in dumped
    assert yaml.safe_load(dumped)["labelstudio"]["url"] == "http://***@127.0.0.1:9/ls?token=***&x=1"
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "some-key")
    with pytest.raises(LabelStudioError) as err:
        connect(cfg)  # nothing listens on port 9
    assert "cannot reach the server" in str(err.value)
    assert "s3cret" not in str(err.value) and "tok-123" not in str(err.value)


def test_start_script_keeps_token_and_data_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "media").mkdir(parents=True)
    (data / ".env").write_text("SECRET_KEY=x\n")
    os.chmod(data, 0o755)
    os.chmod(data / ".env", 0o644)
    token = "the-test-token-123"
    # a data dir stamped by an older script: the token in plain text
    (data / ".curation-template").write_text(f"admin@example.com {token} 1.23.2\n")
    env = {**os.environ, "LS_TOKEN": token, "LS_HOME": str(tmp_path / "home")}
    subprocess.run(["bash", "-c", f'source "{ROOT}/scripts/labelstudio.sh"; secure_dir "$1"',
                    "_", str(data)], env=env, check=True, timeout=30)
    stamp = (data / ".curation-template").read_text()
    assert token not in stamp and "token-sha256:" in stamp
    for p in [data, *data.rglob("*")]:
        assert stat.S_IMODE(p.stat().st_mode) & 0o077 == 0, p


def test_package_functions_stay_functions_after_their_modules_load() -> None:
    # the package loads its functions lazily; a submodule named like one would shadow it
    import importlib

    import curation.labelstudio as pkg

    for name, module in pkg._WHERE.items():
        importlib.import_module(f"curation.labelstudio.{module}")
        assert module not in pkg._WHERE, f"submodule {module} shadows the package's {module}"
        assert not isinstance(getattr(pkg, name), type(pkg)), name
