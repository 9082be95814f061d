"""Take docs/img/labelstudio-labelling.png from a real Label Studio server (how it was made).

Needs: a server (`eval "$(scripts/labelstudio.sh start)"`), Debian's `chromium`, and the
`websocket-client` package (pip install websocket-client; not a project dependency).
It pushes three sample pages with pre-labels, logs in as the admin (the script's default
user), opens the labelling screen of one task in headless Chromium and captures it.

    python docs/img/labelstudio_screenshot.py --out docs/img/labelstudio-labelling.png
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import websocket  # websocket-client

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "labelstudio"))


def login(url: str, email: str, password: str) -> str:
    """The Django session cookie of a real UI login."""
    jar = CookieJar()
    op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = op.open(f"{url}/user/login/").read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": csrf, "email": email,
                                   "password": password}).encode()
    op.open(urllib.request.Request(f"{url}/user/login/", data=body,
                                   headers={"Referer": f"{url}/user/login/"}))
    return next(c.value for c in jar if c.name == "sessionid")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "docs" / "img" / "labelstudio-labelling.png"))
    ap.add_argument("--email", default=os.environ.get("LS_USER", "admin@example.com"))
    ap.add_argument("--password", default=os.environ.get("LS_PASSWORD", "curation-admin"))
    args = ap.parse_args()
    from ls_helpers import write_segments

    from curation.config import LabelStudioConfig, RunConfig
    from curation.labelstudio import push

    url = os.environ["LABEL_STUDIO_URL"]
    tmp = Path(tempfile.mkdtemp())
    cfg = RunConfig(output=str(tmp / "out"),
                    labelstudio=LabelStudioConfig(project_title="curation demo"))
    write_segments(tmp / "out")
    rep = push(cfg)
    from label_studio_sdk import LabelStudio
    ls = LabelStudio(base_url=url, api_key=os.environ["LABEL_STUDIO_API_KEY"])
    task = next(t for t in ls.tasks.list(project=rep.project_id) if t.data["page_id"] == "p1")
    session = login(url, args.email, args.password)
    port = 9333
    chrome = subprocess.Popen(
        ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--remote-debugging-port={port}", "--window-size=1280,900",
         f"--user-data-dir={tmp / 'profile'}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):
            try:
                targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json"))
                break
            except OSError:
                time.sleep(0.2)
        ws_url = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
        ws = websocket.create_connection(ws_url, timeout=60)
        n = 0

        def cdp(method: str, **params: object) -> dict:
            nonlocal n
            n += 1
            ws.send(json.dumps({"id": n, "method": method, "params": params}))
            while True:
                msg = json.loads(ws.recv())
                if msg.get("id") == n:
                    return msg.get("result", {})

        cdp("Network.enable")
        cdp("Network.setCookie", name="sessionid", value=session, domain="127.0.0.1", path="/")
        cdp("Emulation.setDeviceMetricsOverride", width=1280, height=900, deviceScaleFactor=1,
            mobile=False)
        cdp("Page.navigate", url=f"{url}/projects/{rep.project_id}/data?task={task.id}")
        time.sleep(12)  # the labelling app loads its bundle and renders the task
        shot = cdp("Page.captureScreenshot", format="png")
        Path(args.out).write_bytes(base64.b64decode(shot["data"]))
        print(f"wrote {args.out} (project {rep.project_id}, task {task.id})")
    finally:
        chrome.terminate()
        chrome.wait(10)
        ls.projects.delete(id=rep.project_id)


if __name__ == "__main__":
    main()
