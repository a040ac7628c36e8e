#!/usr/bin/env bash
# The real-browser test (run by .ci/run after the test suite): headless Chromium (Debian's package),
# driven by playwright-core, loads /graphql and /docs from a real `yourmusic serve` on a free port with a
# throwaway DATA_DIR, runs `{ heartbeat }` in GraphiQL and reads the answer from the page.
# Screenshots go to artifacts/ (graphiql.png, docs.png). Chromium is installed with apt-get when
# missing; only when that is impossible is the test skipped, and it says so.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
ARTIFACTS=${ARTIFACTS:-$ROOT/artifacts}

if [ ! -x "$CHROMIUM" ]; then
  echo "browser test: $CHROMIUM missing, installing Debian's chromium"
  if ! { command -v apt-get >/dev/null && apt-get update -qq \
         && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || [ ! -x "$CHROMIUM" ]; then
    echo "browser test: SKIPPED - Chromium cannot be installed on this machine (apt-get install chromium failed)"
    exit 0
  fi
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "browser test: SKIPPED - Node.js/npm are not installed"
  exit 0
fi

(cd tests/browser && npm ci --no-audit --no-fund --silent)

tmp=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(
  cd "$tmp"
  exec env -u DATABASE_URL -u REDIS_URL DATA_DIR="$tmp/data" DATABASE_URL="sqlite://$tmp/browser.sqlite3" \
    "$ROOT/.venv/bin/yourmusic" serve --port "$port"
) >"$tmp/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  if ! kill -0 "$server_pid" 2>/dev/null; then echo "browser test: the server died"; cat "$tmp/server.log"; exit 1; fi
  sleep 0.5
done

status=0
BASE_URL="http://127.0.0.1:$port" ARTIFACTS="$ARTIFACTS" CHROMIUM="$CHROMIUM" \
  node tests/browser/graphiql.mjs || status=$?
if [ "$status" -ne 0 ]; then
  echo "browser test: FAILED; the server's log:"; tail -50 "$tmp/server.log"
fi
exit "$status"
