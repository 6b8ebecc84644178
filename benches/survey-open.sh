#!/usr/bin/env bash
# Opening the ballot box of closed survey windows, and the first report read after it.
#
#   benches/survey-open.sh postgres     # 25,000 and 250,000 responses per window
#   benches/survey-open.sh sqlite
#
# For each size, a synthetic district (25 schools, grades 6-12) whose students all answer one
# window, every answer sealed through the submission code path. The window is then closed and
# `securebase surveys close-due --dry-run` opens it RUNS (3) times in a transaction that is rolled
# back (decrypt, shuffle, aggregate, write the plain responses per cell, render the reports,
# forget who answered: everything but the commit), then `close-due` opens it for real (commit
# included); each prints its time, the median of the rehearsals is reported with the real one.
# Then a server, warmed up with a few GET /me, reads the window's district report once (its first
# read after opening) and LATER_READS (20) times more, one request at a time. To tell the first
# read's own cost from that of a server's first use of the report statements, the server is then
# restarted RESTARTS (5) times and the same report read once after the same warm-up: the median
# of those first reads is the baseline a first read after opening is compared with.
# Results go to stdout and to target/bench/survey-open-<backend>.txt.
# Tunables: SIZES ("25000 250000"), SCHOOLS (25), RUNS (3), RESTARTS (5), BENCH_PG, PORT (18095).
set -euo pipefail

BACKEND=${1:-postgres}
SIZES=${SIZES:-"25000 250000"}
SCHOOLS=${SCHOOLS:-25}
BENCH_PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
PORT=${PORT:-18095}
LATER_READS=${LATER_READS:-20}
RUNS=${RUNS:-3}
RESTARTS=${RESTARTS:-5}

cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/target/bench
WORK=$OUT/open-$BACKEND
rm -rf "$WORK" && mkdir -p "$WORK"
REPORT=$OUT/survey-open-$BACKEND.txt
: >"$REPORT"
log() { echo "$*" | tee -a "$REPORT"; }
median() { sort -g | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

if [ -z "${BIN:-}" ]; then
  cargo build --release --locked --quiet
  BIN=$ROOT/target/release/securebase
fi
export JWT_SECRET=securebase-benchmark-secret-0123456789abcdef
# Benchmark only: a fixed seal key.
export SURVEY_SEAL_KEY=c2VjdXJlYmFzZS1iZW5jaG1hcmstc2VhbC1rZXktMzI=
export RUST_LOG=warn

log "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
for size in $SIZES; do
  case $BACKEND in
    postgres)
      psql "$BENCH_PG/postgres" -qc 'DROP DATABASE IF EXISTS securebase_open' -c 'CREATE DATABASE securebase_open'
      export DATABASE_URL=$BENCH_PG/securebase_open ;;
    sqlite)
      rm -f "$WORK"/open.db*
      export DATABASE_URL=$WORK/open.db ;;
    *) echo "usage: $0 postgres|sqlite" >&2; exit 2 ;;
  esac
  $BIN migrate >/dev/null
  per_school=$(((size + SCHOOLS - 1) / SCHOOLS))
  $BIN synthetic --schools "$SCHOOLS" --students-per-school "$per_school" --response-rate 1 \
    --admin-token-out "$WORK/admin.token" >"$WORK/synthetic-$size.txt"
  district=$(awk '/^district /{print $2}' "$WORK/synthetic-$size.txt")
  window=$(awk '/^window /{print $2}' "$WORK/synthetic-$size.txt")
  close="UPDATE survey_windows SET closes_at = opens_at + interval '1 second' WHERE id = '$window'"
  case $BACKEND in
    postgres) psql "$DATABASE_URL" -qc "$close" ;;
    sqlite) sqlite3 "$DATABASE_URL" "UPDATE survey_windows SET closes_at = datetime(opens_at, '+1 second') WHERE id = '$window'" ;;
  esac
  : >"$WORK/took-$size.txt"
  for r in $(seq "$RUNS"); do
    $BIN surveys close-due --dry-run | tee -a "$WORK/close-$size.txt" |
      awk '/^opened window/{print $(NF-1)}' >>"$WORK/took-$size.txt"
  done
  $BIN surveys close-due | tee -a "$WORK/close-$size.txt" | awk '/^opened window/{print $(NF-1)}' >"$WORK/real-$size.txt"
  log "$size responses: opening, rolled back (commit excluded): $(tr '\n' ' ' <"$WORK/took-$size.txt")s -> median $(median <"$WORK/took-$size.txt") s; committed: $(cat "$WORK/real-$size.txt") s"

  : >"$WORK/first.txt"; : >"$WORK/later.txt"; : >"$WORK/restarted.txt"
  url="http://127.0.0.1:$PORT/api/v1/reports/districts/$district/climate?window_id=$window"
  token=$(cat "$WORK/admin.token")
  read_once() { curl -fs -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $token" "$url"; }
  for round in $(seq 0 "$RESTARTS"); do
    $BIN serve --no-migrate --bind-addr "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
    # The server's first requests open its database connections: warm it up with GET /me first,
    # so that the first report read is measured as the report it is.
    for _ in $(seq 5); do
      curl -fs -o /dev/null -H "Authorization: Bearer $token" "http://127.0.0.1:$PORT/api/v1/me"
    done
    if [ "$round" = 0 ]; then
      read_once >>"$WORK/first.txt"
      for _ in $(seq "$LATER_READS"); do read_once >>"$WORK/later.txt"; done
    else
      read_once >>"$WORK/restarted.txt"
    fi
    kill $pid; wait $pid 2>/dev/null || true
  done
  ms() { median | awk '{printf "%.2f", $1 * 1000}'; }
  log "$size responses: district report, first read after opening $(ms <"$WORK/first.txt") ms; first read after a restart $(ms <"$WORK/restarted.txt") ms (median of $RESTARTS); later reads $(ms <"$WORK/later.txt") ms (median of $LATER_READS)"
done
log "report: $REPORT"
