#!/usr/bin/env bash
# The test command (README, and .ci/run): installs the project and its test extras into ./.venv,
# installs and starts a real Label Studio server on 127.0.0.1 (scripts/labelstudio.sh, its own
# venv), lints, runs pytest, and stops the server. Extra arguments go to pytest.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"
[[ -x .venv/bin/python ]] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test,bench]"

eval "$(scripts/labelstudio.sh start)"
trap 'scripts/labelstudio.sh stop || true' EXIT

.venv/bin/ruff check curation tests benchmarks
.venv/bin/python -m pytest "$@"
