#!/usr/bin/env bash
# Load benchmark of anonymous survey submissions (POST /api/v1/survey-windows/{id}/responses).
#
#   benches/survey-submit.sh postgres   # API peak, pgbench on the same SQL, p99 at half peak, 5,000 connections
#   benches/survey-submit.sh sqlite     # the same without pgbench
#
# Every request is a different student of a synthetic district submitting a 25-item sheet with
# random answers. Results go to stdout and to target/bench/survey-submit-<backend>.txt.
# Tunables (environment): RUNS (3), DURATION seconds per run (10), CONCURRENCY (16: HTTP
# connections = database pool size = pgbench clients), CONNECTIONS (5000), SCHOOLS (20),
# BENCH_PG (postgres://postgres@127.0.0.1:5432), PORT (18080).
set -euo pipefail

BACKEND=${1:-postgres}
RUNS=${RUNS:-3}
DURATION=${DURATION:-10}
CONCURRENCY=${CONCURRENCY:-16}
CONNECTIONS=${CONNECTIONS:-5000}
SCHOOLS=${SCHOOLS:-20}
BENCH_PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
PORT=${PORT:-18080}
THREADS=2
# One student per request: the fastest run seen here was ~1,700/s; a thread that runs out stops.
PEAK_STUDENTS=${PEAK_STUDENTS:-$((DURATION * 3000))}
HOLD_SECONDS=${HOLD_SECONDS:-30}
# Respondents pause between submissions like people reading a page: one request per connection
# every HOLD_PACE_MS on average.
HOLD_PACE_MS=${HOLD_PACE_MS:-10000}

cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/target/bench
WORK=$OUT/work-$BACKEND
mkdir -p "$OUT"
rm -rf "$WORK" && mkdir -p "$WORK"
REPORT=$OUT/survey-submit-$BACKEND.txt
: >"$REPORT"
. benches/lib.sh

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 1; }
[ "$BACKEND" = sqlite ] || command -v pgbench >/dev/null || { echo "pgbench is needed (postgresql-client)" >&2; exit 1; }
# Each side of a connection holds a descriptor: raise the soft limit as far as the hard limit allows.
ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -gt $((CONNECTIONS + 1000)) ] || { echo "open-file limit $(ulimit -n) is too low for $CONNECTIONS connections" >&2; exit 1; }

# BIN may name a prebuilt binary (e.g. to benchmark one commit while working on another).
if [ -z "${BIN:-}" ]; then
  cargo build --release --locked --quiet
  BIN=$ROOT/target/release/securebase
fi
export JWT_SECRET=securebase-benchmark-secret-0123456789abcdef
# Benchmark only: a fixed seal key.
export SURVEY_SEAL_KEY=c2VjdXJlYmFzZS1iZW5jaG1hcmstc2VhbC1rZXktMzI=
export RUST_LOG=warn

case $BACKEND in
  postgres)
    psql "$BENCH_PG/postgres" -qc 'DROP DATABASE IF EXISTS securebase_bench' -c 'CREATE DATABASE securebase_bench'
    export DATABASE_URL=$BENCH_PG/securebase_bench ;;
  sqlite) export DATABASE_URL=$WORK/bench.db ;;
  *) echo "usage: $0 postgres|sqlite" >&2; exit 2 ;;
esac

# Students for every API run, dealt into one token file per run.
HALF_STUDENTS=$((PEAK_STUDENTS / 2 + 1000))
HOLD_STUDENTS=$((CONNECTIONS * HOLD_SECONDS * 2000 / HOLD_PACE_MS + CONNECTIONS))
TOTAL=$((RUNS * (PEAK_STUDENTS + HALF_STUDENTS) + HOLD_STUDENTS))
# pgbench takes its students from those the API runs left over, plus its own share.
[ "$BACKEND" = postgres ] && TOTAL=$((TOTAL + RUNS * PEAK_STUDENTS))
$BIN migrate >/dev/null
$BIN synthetic --schools "$SCHOOLS" --students-per-school $(((TOTAL + SCHOOLS - 1) / SCHOOLS)) \
  --response-rate 0 --tokens-out "$WORK/tokens.txt" --token-ttl-secs 7200 >"$WORK/synthetic.txt"
WINDOW=$(awk '/^window /{print $2}' "$WORK/synthetic.txt")
DISTRICT=$(awk '/^district /{print $2}' "$WORK/synthetic.txt")

SERVER_PID=
start_server() {
  $BIN serve --no-migrate --bind-addr "127.0.0.1:$PORT" --pool-size "$CONCURRENCY" >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && return; sleep 0.1; done
  echo "server did not start" >&2; cat "$WORK/server.log" >&2; exit 1
}
trap '[ -n "$SERVER_PID" ] && kill $SERVER_PID 2>/dev/null || true' EXIT
start_server

FIRST=$(head -1 "$WORK/tokens.txt")
curl -fs -H "Authorization: Bearer $FIRST" "http://127.0.0.1:$PORT/api/v1/survey-windows/$WINDOW/questionnaire" |
  python3 benches/bench_items.py >"$WORK/items.txt"

log "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
log "backend: $BACKEND; items per sheet: $(wc -l <"$WORK/items.txt"); concurrency $CONCURRENCY; $RUNS runs of ${DURATION}s"

# wrk prints a RESULT line (see submit.lua); value extracts one field from it.
run_wrk() { # name tokens connections duration pace_ms
  THREADS=$THREADS CONNECTIONS=$3 TOKENS=$2 ITEMS=$WORK/items.txt WINDOW=$WINDOW PACE_MS=$5 \
    wrk -t$THREADS -c"$3" -d"$4"s --timeout 10s --latency -s benches/submit.lua \
    "http://127.0.0.1:$PORT" >"$WORK/$1.wrk" 2>&1 || true
  local line
  line=$(grep '^RESULT' "$WORK/$1.wrk" || echo "RESULT failed")
  log "$1: ${line#RESULT }"
}

for r in $(seq "$RUNS"); do
  take_tokens "$WORK/peak$r.tokens" "$PEAK_STUDENTS"
  run_wrk "api-peak-$r" "$WORK/peak$r.tokens" "$CONCURRENCY" "$DURATION" 0
done
PEAK=$(for r in $(seq "$RUNS"); do value "api-peak-$r" rps; done | median)
log "API peak (median): $PEAK submissions/s"

# Half of the peak, paced: each connection waits about CONCURRENCY/rate between requests.
HALF=$(awk -v p="$PEAK" 'BEGIN{printf "%d", p/2}')
PACE=$(awk -v c="$CONCURRENCY" -v h="$HALF" 'BEGIN{printf "%.2f", 1000*c/h}')
for r in $(seq "$RUNS"); do
  take_tokens "$WORK/half$r.tokens" "$HALF_STUDENTS"
  run_wrk "api-half-$r" "$WORK/half$r.tokens" "$CONCURRENCY" "$DURATION" "$PACE"
done
log "API at half peak (target $HALF/s): median rate $(for r in $(seq "$RUNS"); do value "api-half-$r" rps; done | median)/s," \
  "median p99 $(for r in $(seq "$RUNS"); do value "api-half-$r" p99_ms; done | median) ms"

take_tokens "$WORK/hold.tokens" "$HOLD_STUDENTS"
run_wrk "api-hold-$CONNECTIONS" "$WORK/hold.tokens" "$CONNECTIONS" "$HOLD_SECONDS" "$HOLD_PACE_MS"
log "server-side errors logged: $(grep -c ' ERROR ' "$WORK/server.log" || true)"
kill $SERVER_PID && wait $SERVER_PID 2>/dev/null || true
SERVER_PID=

if [ "$BACKEND" = postgres ]; then
  # pgbench runs the statements the API issues for one submission (benches/submit.sql), for
  # students who have not answered, at the same concurrency.
  # A sealed answer sheet as the API stored one (every envelope of a window has one length).
  SEALED=$(psql "$DATABASE_URL" -Atc "SELECT sealed FROM survey_sealed_responses WHERE window_id = '$WINDOW' LIMIT 1")
  psql "$DATABASE_URL" -qc "DROP TABLE IF EXISTS bench_queue" \
    -c "CREATE TABLE bench_queue (n SERIAL PRIMARY KEY, student_id TEXT NOT NULL)" \
    -c "INSERT INTO bench_queue (student_id) SELECT u.id FROM users u WHERE u.district_id = '$DISTRICT' AND u.role = 'student'
          AND NOT EXISTS (SELECT 1 FROM survey_participation p WHERE p.window_id = '$WINDOW' AND p.student_id = u.id) ORDER BY random()" \
    -c "ANALYZE"
  OFFSET=0
  for r in $(seq "$RUNS"); do
    pgbench -n -M prepared -c "$CONCURRENCY" -j $THREADS -T "$DURATION" -f benches/submit.sql \
      -D i=0 -D offset=$OFFSET -D clients="$CONCURRENCY" -D window="$WINDOW" \
      -D sealed="$SEALED" "$DATABASE_URL" >"$WORK/pgbench-$r.txt" 2>&1 || true
    TPS=$(awk '/^tps/{print $3}' "$WORK/pgbench-$r.txt")
    DONE=$(awk -F': ' '/actually processed/{split($2,a,"/"); print a[1]}' "$WORK/pgbench-$r.txt")
    FAILED=$(awk -F': ' '/number of failed/{print $2}' "$WORK/pgbench-$r.txt")
    log "pgbench-$r: tps=$TPS transactions=$DONE failed=$FAILED"
    echo "$TPS" >>"$WORK/pgbench.tps"
    OFFSET=$(psql "$DATABASE_URL" -Atc "SELECT coalesce(max(q.n), 0) FROM bench_queue q JOIN survey_participation p
      ON p.student_id = q.student_id AND p.window_id = '$WINDOW'")
  done
  PG=$(median <"$WORK/pgbench.tps")
  log "pgbench (median): $PG transactions/s"
  log "API / pgbench: $(awk -v a="$PEAK" -v p="$PG" 'BEGIN{printf "%.0f%%", 100*a/p}')"
fi
log "report: $REPORT"
