#!/usr/bin/env bash
# The browser journeys of tests/web (journeys.mjs: sign-in, a survey taken with the keyboard only,
# a lesson assigned and finished, mentoring pairs accepted, a report and its CSV, refusals, bad
# input, and axe-core on every page each role can reach) in Debian's Chromium, against a fresh
# demo server (`$BIN serve --demo`): on a new SQLite file, then, when PG is set, on a new
# PostgreSQL database. Fails if any journey fails on either.
#
#   BIN=target/debug/securebase bash tests/ci/web.sh
#   BIN=target/debug/securebase PG=postgres://postgres@127.0.0.1:5432 bash tests/ci/web.sh
#
# Screenshots (one per page seen, <role>-<page>.png): target/ci/web/sqlite and
# target/ci/web/postgres; the servers' logs beside them (server.log). JOURNEYS=a,h runs some
# journeys only; ROLE_SHOTS=docs/screenshots also writes each role's home page there (from the
# SQLite run). The browser reaches the server as http://localhost:PORT: the session cookie is
# Secure, and browsers keep Secure cookies over plain http only from loopback hosts.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-target/debug/securebase}
PORT=${PORT:-18470}
# lib.sh gives PG a default; here PostgreSQL runs only when the caller set it.
PG_GIVEN=${PG:-}
. tests/ci/lib.sh

[ -x "$BIN" ] || { echo "web: no server binary at $BIN (cargo build first)" >&2; exit 1; }
if [ ! -x /usr/bin/chromium ]; then
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
if ! command -v npm >/dev/null; then
    apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
fi
# playwright-core and axe-core, pinned by tests/web/package-lock.json (no browser download).
npm ci --prefix tests/web --no-audit --no-fund --loglevel=error

SCRATCH=$(mktemp -d)
PG_DB=securebase_web
cleanup() {
    stop_server
    rm -rf "$SCRATCH"
    if [ -n "$PG_GIVEN" ]; then
        psql "$PG/postgres" -qX -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT

# run_on NAME: the journeys against a demo server on DATABASE_URL; screenshots in $OUT/web/NAME.
failed=()
run_on() {
    local name=$1 dir=$OUT/web/$1 status
    rm -rf "$dir"
    mkdir -p "$dir"
    local log=$dir/server.log
    : >"$log"
    echo "-- web journeys on $name"
    start_server "$PORT" "$log"
    set +e
    BASE_URL="http://localhost:$PORT" SCREENSHOTS="$dir" ROLE_SHOTS="${2:-}" \
        timeout 1800 node tests/web/journeys.mjs
    status=$?
    set -e
    stop_server
    if grep -q "panicked" "$log"; then
        echo "web ($name): the server log holds a panic ($log)" >&2
        status=1
    fi
    if [ "$status" -ne 0 ]; then
        failed+=("$name")
        echo "web ($name): FAILED; screenshots and server log in $dir"
    else
        echo "web ($name): every journey passed; screenshots in $dir"
    fi
}

export DATABASE_URL="$SCRATCH/securebase.db"
run_on sqlite "${ROLE_SHOTS:-}"

if [ -n "$PG_GIVEN" ]; then
    fresh_db "$PG_DB"
    run_on postgres
fi

if [ "${#failed[@]}" -ne 0 ]; then
    echo "web: journeys failed on: ${failed[*]}" >&2
    exit 1
fi
