#!/usr/bin/env bash
# The real-browser tests (run by .ci/run after the test suite): headless Chromium (Debian's package),
# driven by playwright-core, against a real `yourmusic serve` on a free port with a throwaway DATA_DIR and
# SQLite database (the embedded default: sandboxes mounted in-process).
#   tests/browser/graphiql.mjs  loads /, /graphql, /docs and /docs/try; runs `{ heartbeat }` in GraphiQL and
#                               GET /api/heartbeat in Swagger UI, reads the answers.
#   tests/browser/live.mjs      GraphiQL runs the example subscription (PlaylistLive): a bad token shows the 4403
#                               close at once; with a user token in the Headers tab (sent in connection_init over
#                               the WebSocket) it shows a rename and a track added through REST.
#   tests/browser/player.mjs    a tenant's player page on a second origin (CORS_ORIGINS names it) runs `me`
#                               with the user token (CORS preflight), subscribes through the Stripe sandbox's
#                               checkout, plays a track with hls.js until currentTime > 2; the page on a third
#                               origin, allowed nowhere, is refused.
# Screenshots go to artifacts/ (landing.png, graphiql.png, graphiql-live.png, docs.png, docs-operation.png, tryit.png, checkout.png, player.png,
# player-foreign.png). Chromium is installed with apt-get when missing; only when that is impossible is the
# test skipped, and it says so.
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
    [ -n "${CI:-}" ] && exit 1  # in CI a skipped browser test is a failure, not a pass
    exit 0
  fi
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "browser test: SKIPPED - Node.js/npm are not installed"
  [ -n "${CI:-}" ] && exit 1
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

free_port() { .venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)          # the API
page_port=$(free_port)     # the player page's origin, allowed by CORS_ORIGINS
foreign_port=$(free_port)  # the same page on an origin no one allows
while [ "$page_port" = "$port" ]; do page_port=$(free_port); done
while [ "$foreign_port" = "$port" ] || [ "$foreign_port" = "$page_port" ]; do foreign_port=$(free_port); done
# Every `yourmusic` call shares the throwaway database and data directory, and the embedded sandboxes.
ym_env=(env -u DATABASE_URL -u REDIS_URL -u STRIPE_API_BASE -u SELF_URL DATA_DIR="$tmp/data"
        DATABASE_URL="sqlite://$tmp/browser.sqlite3" CORS_ORIGINS="http://127.0.0.1:$page_port")
ym() {
  (cd "$tmp" && exec "${ym_env[@]}" "$ROOT/.venv/bin/yourmusic" "$@") 2>>"$tmp/setup.log" \
    || { echo "browser test: yourmusic $* failed:"; cat "$tmp/setup.log"; return 1; }
}
# The player's tenant, as an operator sets one up: a tenant, its backend's client, a `premium` product.
ym migrate >/dev/null
ym tenant create browser --name "Browser test" >/dev/null
client=$(ym client create --tenant browser --name "player backend")
ym product create --tenant browser --slug premium --name Premium --price price_browser_premium >/dev/null
(cd "$tmp" && exec "${ym_env[@]}" "$ROOT/.venv/bin/yourmusic" serve --port "$port") >"$tmp/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  if ! kill -0 "$server_pid" 2>/dev/null; then echo "browser test: the server died"; cat "$tmp/server.log"; exit 1; fi
  sleep 0.5
done

status=0
BASE_URL="http://127.0.0.1:$port" ARTIFACTS="$ARTIFACTS" CHROMIUM="$CHROMIUM" \
  node tests/browser/graphiql.mjs || status=$?
BASE_URL="http://127.0.0.1:$port" CLIENT="$client" ARTIFACTS="$ARTIFACTS" CHROMIUM="$CHROMIUM" \
  node tests/browser/live.mjs || status=$?
BASE_URL="http://127.0.0.1:$port" PAGE_PORT="$page_port" FOREIGN_PORT="$foreign_port" CLIENT="$client" \
  ARTIFACTS="$ARTIFACTS" CHROMIUM="$CHROMIUM" node tests/browser/player.mjs || status=$?
if [ "$status" -ne 0 ]; then
  echo "browser test: FAILED; the server's log:"; tail -50 "$tmp/server.log"
fi
exit "$status"
