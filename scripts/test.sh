#!/usr/bin/env bash
# The test command (README, and .ci/run): installs the project and its test extras into ./.venv,
# installs and starts a real Label Studio server on 127.0.0.1 (scripts/labelstudio.sh, its own
# venv), lints, checks the import contracts and the types (mypy), runs pytest, and stops the
# server. Extra arguments go to pytest.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"
[[ -x .venv/bin/python ]] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test,bench]"

# The browser test (tests/labelstudio/test_browser.py) drives the system's Chromium; Playwright's
# own browser download is not used. Install it when it is missing (Debian/Ubuntu package).
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  SUDO=""; [[ "$(id -u)" == 0 ]] || SUDO="sudo -n"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium >/dev/null \
    || echo "test.sh: could not install chromium; the browser test will fail" >&2
fi

# A server that does not start (say, the port is taken by another program) is reported, not
# hidden: the Label Studio test fixtures then start their own server on a free port.
if LS_ENV="$(scripts/labelstudio.sh start)"; then
  eval "$LS_ENV"
  trap 'scripts/labelstudio.sh stop || true' EXIT
else
  echo "test.sh: Label Studio did not start on port ${LS_PORT:-8080} (see above);" \
    "the tests start their own server on a free port" >&2
fi

.venv/bin/ruff check curation tests benchmarks
.venv/bin/lint-imports  # the dependency direction: contracts in pyproject.toml
.venv/bin/mypy  # strict types of the whole package (pyproject [tool.mypy])
.venv/bin/python -m pytest "$@"
