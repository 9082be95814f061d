#!/usr/bin/env bash
# Run a local Label Studio 1.23.2 for curation: headless, offline, on 127.0.0.1.
#
#   scripts/labelstudio.sh start [--fresh]   install (once), start, wait for /health, print env
#   scripts/labelstudio.sh stop              stop the server started by this script
#   scripts/labelstudio.sh status            say whether it runs (exit 1 when not)
#   scripts/labelstudio.sh env               print the export line for `eval`
#
#   eval "$(scripts/labelstudio.sh start)"   # then LABEL_STUDIO_URL / LABEL_STUDIO_API_KEY are set
#
# Settings (environment):
#   LS_HOME         where the server venv, template and data live   (default ./.labelstudio)
#   LS_PORT         port on 127.0.0.1                               (default 8080)
#   LS_DATA_DIR     the server's data dir (sqlite, media)           (default $LS_HOME/data-$LS_PORT)
#   LS_USER         admin login                                     (default admin@example.com)
#   LS_PASSWORD     admin password                                  (default curation-admin)
#   LS_TOKEN        legacy API token of the admin                   (default the known test token)
#   LS_PYTHON       python used to make the server venv             (default python3.11 or python3)
#
# The server lives in its own venv: label-studio pins pyarrow<25, Django, openai ... that the
# toolkit does not want. A template data dir is built once with `label-studio init` (the sqlite
# migrations take ~25 s) and copied on the first start (or every start with --fresh): ~3 s.
# The data dir is kept between stops so that a user's annotations survive a restart.
# Everything this script writes under LS_HOME except the venv is private to the user (0700
# folders, 0600 files): the data dir holds the token, the password hash and the signing key.
set -euo pipefail

LS_VERSION=1.23.2
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LS_HOME="${LS_HOME:-$ROOT/.labelstudio}"
LS_PORT="${LS_PORT:-8080}"
LS_DATA_DIR="${LS_DATA_DIR:-$LS_HOME/data-$LS_PORT}"
LS_USER="${LS_USER:-admin@example.com}"
LS_PASSWORD="${LS_PASSWORD:-curation-admin}"
LS_TOKEN="${LS_TOKEN:-curation-test-token-7f3a9c2e}"
VENV="$LS_HOME/venv"
TEMPLATE="$LS_HOME/template"
PIDFILE="$LS_HOME/server-$LS_PORT.pid"
LOG="$LS_HOME/server-$LS_PORT.log"
URL="http://127.0.0.1:$LS_PORT"

say() { echo "labelstudio.sh: $*" >&2; }
# Files created from here on are the user's alone (the venv is installed world-readable below).
umask 077
die() { say "error: $*"; exit 1; }

pick_python() {
  if [[ -n "${LS_PYTHON:-}" ]]; then echo "$LS_PYTHON"; return; fi
  for p in python3.11 python3.12 python3; do
    if command -v "$p" >/dev/null 2>&1; then command -v "$p"; return; fi
  done
  die "no python3 found; set LS_PYTHON"
}

# Offline and quiet: no Sentry, no analytics, no version check; never read the bare HOST/PORT/...
server_env() {
  unset HOST PORT DEBUG USERNAME PASSWORD
  export LABEL_STUDIO_BASE_DATA_DIR="$1"
  export LABEL_STUDIO_USERNAME="$LS_USER" LABEL_STUDIO_PASSWORD="$LS_PASSWORD"
  export LABEL_STUDIO_USER_TOKEN="$LS_TOKEN" LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN=true
  export LABEL_STUDIO_DEBUG=false SENTRY_DSN= FRONTEND_SENTRY_DSN= COLLECT_ANALYTICS=false
  export LATEST_VERSION_CHECK=false LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK=false
  export PYTHONUNBUFFERED=1
}

install_server() {
  if [[ -x "$VENV/bin/label-studio" ]] && \
     "$VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('label-studio') != '$LS_VERSION')" 2>/dev/null; then
    return
  fi
  local py; py="$(pick_python)"
  say "installing label-studio==$LS_VERSION into $VENV (once, ~1 min)"
  mkdir -p "$LS_HOME"
  ( umask 022; "$py" -m venv "$VENV" && "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "label-studio==$LS_VERSION" >"$LS_HOME/pip.log" 2>&1 ) \
    || die "pip install label-studio==$LS_VERSION failed (is PyPI reachable? see $LS_HOME/pip.log)"
}

# The template is tied to the user and token it was made with (they are only read at creation);
# its stamp names the token by a hash, never in plain text.
stamp() {
  local digest; digest="$(printf '%s' "$LS_TOKEN" | sha256sum | cut -c1-16)"
  echo "$LS_USER token-sha256:$digest $LS_VERSION"
}

# Older stamps held the token itself: rewrite them (same template), and make the folder private.
secure_dir() {
  local dir="$1" file="$1/.curation-template"
  [[ -d "$dir" ]] || return 0
  if [[ -f "$file" ]] && [[ "$(cat "$file")" == "$LS_USER $LS_TOKEN $LS_VERSION" ]]; then
    stamp > "$file"
  fi
  chmod -R go-rwx "$dir"
}

build_template() {
  secure_dir "$TEMPLATE"
  if [[ -f "$TEMPLATE/.curation-template" ]] && [[ "$(cat "$TEMPLATE/.curation-template")" == "$(stamp)" ]]; then
    return
  fi
  say "building the template data dir (sqlite migrations, ~25 s, once)"
  rm -rf "$TEMPLATE" "$TEMPLATE.tmp"
  mkdir -p "$TEMPLATE.tmp"
  ( server_env "$TEMPLATE.tmp"; cd "$TEMPLATE.tmp" && "$VENV/bin/label-studio" init --quiet \
      --no-browser >"$LS_HOME/init.log" 2>&1 ) || die "label-studio init failed, see $LS_HOME/init.log"
  stamp > "$TEMPLATE.tmp/.curation-template"
  chmod -R go-rwx "$TEMPLATE.tmp"
  mv "$TEMPLATE.tmp" "$TEMPLATE"
}

running_pid() {
  [[ -f "$PIDFILE" ]] || return 1
  local pid; pid="$(cat "$PIDFILE")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && { echo "$pid"; return 0; }
  return 1
}

port_busy() {
  "$(pick_python)" - "$LS_PORT" <<'EOF'
import socket, sys
s = socket.socket()
s.settimeout(1)
sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)
EOF
}

healthy() { curl -fsS --max-time 3 "$URL/health" 2>/dev/null | grep -q UP; }

print_env() { echo "export LABEL_STUDIO_URL=$URL LABEL_STUDIO_API_KEY=$LS_TOKEN"; }

cmd_start() {
  local fresh=0
  [[ "${1:-}" == "--fresh" ]] && fresh=1
  if pid="$(running_pid)"; then
    healthy || die "server PID $pid is running but $URL/health is not UP; see $LOG"
    say "already running (PID $pid) at $URL"
    print_env; return
  fi
  port_busy && die "port $LS_PORT on 127.0.0.1 is busy (another server?); set LS_PORT to a free port"
  install_server
  build_template
  secure_dir "$LS_DATA_DIR"
  if [[ $fresh == 1 || ! -f "$LS_DATA_DIR/.curation-template" ]] || \
     [[ "$(cat "$LS_DATA_DIR/.curation-template")" != "$(cat "$TEMPLATE/.curation-template")" ]]; then
    rm -rf "$LS_DATA_DIR"
    cp -a "$TEMPLATE" "$LS_DATA_DIR"
  fi
  chmod 700 "$LS_HOME" "$LS_DATA_DIR"
  say "starting Label Studio $LS_VERSION at $URL (data: $LS_DATA_DIR, log: $LOG)"
  (
    server_env "$LS_DATA_DIR"
    cd "$LS_DATA_DIR"
    exec nohup "$VENV/bin/label-studio" start --no-browser --internal-host 127.0.0.1 \
      --port "$LS_PORT" --log-level WARNING </dev/null >"$LOG" 2>&1
  ) &
  echo $! > "$PIDFILE"
  local waited=0 limit="${LS_START_TIMEOUT:-120}"
  until healthy; do
    if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
      rm -f "$PIDFILE"; tail -n 20 "$LOG" >&2 || true
      die "the server exited during start; log above ($LOG)"
    fi
    (( waited >= limit )) && die "no /health after ${limit}s; see $LOG"
    sleep 1; waited=$((waited + 1))
  done
  say "up after ${waited}s (PID $(cat "$PIDFILE"))"
  print_env
}

cmd_stop() {
  local pid
  if ! pid="$(running_pid)"; then say "not running"; rm -f "$PIDFILE"; return; fi
  kill "$pid"
  for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  rm -f "$PIDFILE"
  say "stopped (PID $pid)"
}

cmd_status() {
  if pid="$(running_pid)" && healthy; then say "running (PID $pid) at $URL"; return 0; fi
  say "not running at $URL"; return 1
}

# Sourced (the tests do, to check stamps and permissions): define the functions, run nothing.
[[ "${BASH_SOURCE[0]}" != "$0" ]] && return 0

case "${1:-}" in
  start) shift; cmd_start "$@" ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) print_env ;;
  *) echo "usage: $0 {start [--fresh]|stop|status|env}" >&2; exit 2 ;;
esac
