#!/usr/bin/env bash
# Conformance, checked by tools we did not write (run by .ci/run after ./dev test; README "Conformance"):
#   1. graphql-http's auditServer against /graphql: zero failing MUST audits.
#   2. schemathesis against /openapi.json, once with a client token and once with a user token: zero
#      server errors, zero responses breaking their own schema (bounded: -n, --seed, time-boxed).
#   3. schemathesis' GraphQL mode against /graphql: zero server errors.
# Everything runs against a real `yourmusic serve` on a free port, once per database in
# CONFORMANCE_DATABASES (default "sqlite postgres": a throwaway SQLite file, then a throwaway database on
# the PostgreSQL at CONFORMANCE_PG, default postgres://postgres@127.0.0.1:5432). PostgreSQL is the
# reference: some bad input fails only there. The graphql-http audit is about HTTP, not storage: it runs
# on the first database only.
# Usage: conformance/run.sh [audit|openapi|graphql ...]   (default: all three)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=$ROOT/.venv/bin/python
STEPS=${*:-audit openapi graphql}
EXAMPLES=${CONFORMANCE_EXAMPLES:-30}
SEED=${CONFORMANCE_SEED:-1}
DATABASES=${CONFORMANCE_DATABASES:-sqlite postgres}
PG_ADMIN=${CONFORMANCE_PG:-postgres://postgres@127.0.0.1:5432}

# Tools: schemathesis from the project's `conformance` extra (pins checked by pip against the project's),
# graphql-http from conformance/package-lock.json.
if ! "$PY" -c "import schemathesis" 2>/dev/null; then
  "$PY" -m pip install -q --disable-pip-version-check -e '.[test,conformance]'
fi
if [ ! -d conformance/node_modules/graphql-http ]; then
  (cd conformance && npm ci --no-audit --no-fund --loglevel=error)
fi

WORK=$(mktemp -d)
SERVER_PID=
PG_DB=
stop_server() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  SERVER_PID=
  if [ -n "$PG_DB" ]; then
    psql -q "$PG_ADMIN/postgres" -c "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  PG_DB=
}
cleanup() { stop_server; rm -rf "$WORK"; }
trap cleanup EXIT

# Generated requests hit the OTP endpoints hundreds of times: keep their limits, but out of the way.
export OTP_IP_LIMIT=100000 OTP_SEND_INTERVAL=0 OTP_SENDS_PER_HOUR=100000
export SEED_DEMO=false UDT_TTL=3600 PLAYS_FORWARD=false LOG_FORMAT=text ACCESS_LOG=false REDIS_URL=

# start_server DB: a fresh, migrated database of that kind (sqlite|postgres) with a tenant, a client, a
# user and their tokens, served on a free port. Sets BASE, CLIENT_TOKEN and USER_TOKEN.
start_server() {
  local db=$1 client
  PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  BASE=http://127.0.0.1:$PORT
  mkdir -p "$WORK/$db"
  export DATA_DIR=$WORK/$db SELF_URL=$BASE
  if [ "$db" = postgres ]; then
    PG_DB=conformance_$$_$RANDOM
    psql -q "$PG_ADMIN/postgres" -c "CREATE DATABASE \"$PG_DB\"" >/dev/null
    export DATABASE_URL=$PG_ADMIN/$PG_DB
  else
    export DATABASE_URL=sqlite://$WORK/$db/conformance.sqlite3
  fi
  "$ROOT/.venv/bin/yourmusic" migrate >/dev/null
  "$ROOT/.venv/bin/yourmusic" tenant create conformance --name Conformance >/dev/null
  client=$("$ROOT/.venv/bin/yourmusic" client create --tenant conformance --name conformance)

  "$ROOT/.venv/bin/yourmusic" serve --port "$PORT" >"$WORK/$db/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 60); do curl -fs "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.5; done
  curl -fs "$BASE/healthz" >/dev/null || { echo "server did not start"; cat "$WORK/$db/server.log"; exit 1; }

  # A client token, a user, and a user token (UDT) for that user.
  read -r CLIENT_TOKEN USER_TOKEN < <(CLIENT="$client" BASE="$BASE" "$PY" - <<'PYEOF'
import json, os, urllib.request
base, client = os.environ["BASE"], json.loads(os.environ["CLIENT"])
def call(path, body, token=None):
    headers = {"content-type": "application/json", **({"authorization": f"Bearer {token}"} if token else {})}
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), headers=headers, method="POST")
    with urllib.request.urlopen(req) as r:
        return json.load(r)
token = call("/api/oauth/token", {"grant_type": "client_credentials", **client})["access_token"]
user = call("/api/users", {"first_name": "Conf", "last_name": "Ormance", "email": "conformance@example.com",
                           "date_of_birth": "1990-01-01"}, token)
udt = call(f"/api/users/{user['id']}/udt", {"deviceId": "0b7f2a52-4f7e-4c59-9a43-5f0e2f3b9f10"}, token)["token"]
print(token, udt)
PYEOF
)
}

status=0
first=1
for db in $DATABASES; do
  start_server "$db"
  db_status=0
  pushd "$WORK/$db" >/dev/null  # schemathesis writes .hypothesis/ and .schemathesis/ in the cwd
  for step in $STEPS; do
    case "$step" in
      audit)
        [ $first = 1 ] || continue
        echo "== graphql-http audit ($db)"
        timeout 120 node "$ROOT/conformance/graphql-http-audit.mjs" "$BASE/graphql" || db_status=1
        ;;
      openapi)
        # Two checks are excluded; README "Conformance" says why:
        # - positive_data_acceptance: "valid by the schema" is not "accepted" in this contract: a unique
        #   email or slug already taken, an unknown track or product, a missing Stripe signature, an
        #   address email-validator refuses are 422/400 answers that JSON Schema cannot express.
        # - negative_data_rejection: inputs are lenient on purpose (Laravel's rules, which the legacy
        #   clients were written against): `public: "1"` is a boolean, a numeric string an integer.
        for who in ${CONFORMANCE_WHO:-client user}; do
          token=$CLIENT_TOKEN; [ "$who" = user ] && token=$USER_TOKEN
          echo "== schemathesis /openapi.json ($who token, $db)"
          timeout 300 "$ROOT/.venv/bin/schemathesis" run "$BASE/openapi.json" \
            --checks all --exclude-checks positive_data_acceptance,negative_data_rejection \
            -n "$EXAMPLES" --seed "$SEED" --generation-database none \
            --request-timeout 10 --no-color --output-truncate true \
            -H "Authorization: Bearer $token" || db_status=1
        done
        ;;
      graphql)
        echo "== schemathesis /graphql ($db)"
        # graphql_not_a_server_error (conformance/schemathesis_hooks.py) replaces the built-in
        # not_a_server_error, which reads only Apollo's error codes (README "Conformance").
        SCHEMATHESIS_HOOKS=schemathesis_hooks PYTHONPATH="$ROOT/conformance:$ROOT" \
        timeout 240 "$ROOT/.venv/bin/schemathesis" run "$BASE/graphql" \
          --checks graphql_not_a_server_error -n "$EXAMPLES" --seed "$SEED" --generation-database none \
          --request-timeout 10 --no-color -H "Authorization: Bearer $USER_TOKEN" || db_status=1
        ;;
      *) echo "unknown step $step" >&2; exit 2 ;;
    esac
  done
  popd >/dev/null
  if [ $db_status -ne 0 ]; then
    status=1
    echo "== server log on $db (errors)"
    grep -E "ERROR" -A40 "$WORK/$db/server.log" | grep -vE "^\s+(\^|~)" | head -120 || true
  fi
  stop_server
  first=0
done
exit $status
