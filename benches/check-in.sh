#!/usr/bin/env bash
# Load benchmark of the morning check-in (PUT /api/v1/me/check-ins): every student of a
# 20-school district checks in, each once.
#
#   benches/check-in.sh postgres   # API peak, pgbench on the same statements, p99 at half peak
#   benches/check-in.sh sqlite     # the same without pgbench
#
# Results go to stdout and to target/bench/check-in-<backend>.txt. Tunables (environment): RUNS
# (3), DURATION seconds per run (10), CONCURRENCY (16: HTTP connections = database pool size =
# pgbench clients), SCHOOLS (20), BENCH_PG (postgres://postgres@127.0.0.1:5432), PORT (18081).
set -euo pipefail

BACKEND=${1:-postgres}
RUNS=${RUNS:-3}
DURATION=${DURATION:-10}
CONCURRENCY=${CONCURRENCY:-16}
SCHOOLS=${SCHOOLS:-20}
BENCH_PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
PORT=${PORT:-18081}
THREADS=2
# One student per request; a thread that runs out of students stops.
PEAK_STUDENTS=${PEAK_STUDENTS:-$((DURATION * 3000))}

cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/target/bench
WORK=$OUT/check-in-$BACKEND
mkdir -p "$OUT"
rm -rf "$WORK" && mkdir -p "$WORK"
REPORT=$OUT/check-in-$BACKEND.txt
: >"$REPORT"
. benches/lib.sh

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 1; }
[ "$BACKEND" = sqlite ] || command -v pgbench >/dev/null || { echo "pgbench is needed (postgresql-client)" >&2; exit 1; }

if [ -z "${BIN:-}" ]; then
  cargo build --release --locked --quiet
  BIN=$ROOT/target/release/securebase
fi
export JWT_SECRET=securebase-benchmark-secret-0123456789abcdef
export SURVEY_SEAL_KEY=c2VjdXJlYmFzZS1iZW5jaG1hcmstc2VhbC1rZXktMzI=
export RUST_LOG=warn

case $BACKEND in
  postgres)
    psql "$BENCH_PG/postgres" -qc 'DROP DATABASE IF EXISTS securebase_bench' -c 'CREATE DATABASE securebase_bench'
    export DATABASE_URL=$BENCH_PG/securebase_bench ;;
  sqlite) export DATABASE_URL=$WORK/bench.db ;;
  *) echo "usage: $0 postgres|sqlite" >&2; exit 2 ;;
esac

HALF_STUDENTS=$((PEAK_STUDENTS / 2 + 1000))
TOTAL=$((RUNS * (PEAK_STUDENTS + HALF_STUDENTS)))
[ "$BACKEND" = postgres ] && TOTAL=$((TOTAL + RUNS * PEAK_STUDENTS))
$BIN migrate >/dev/null
$BIN synthetic --schools "$SCHOOLS" --students-per-school $(((TOTAL + SCHOOLS - 1) / SCHOOLS)) \
  --response-rate 0 --tokens-out "$WORK/tokens.txt" --token-ttl-secs 7200 >"$WORK/synthetic.txt"
DISTRICT=$(awk '/^district /{print $2}' "$WORK/synthetic.txt")

SERVER_PID=
$BIN serve --no-migrate --bind-addr "127.0.0.1:$PORT" --pool-size "$CONCURRENCY" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
trap '[ -n "$SERVER_PID" ] && kill $SERVER_PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done

log "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
log "backend: $BACKEND; $SCHOOLS schools; concurrency $CONCURRENCY; $RUNS runs of ${DURATION}s"

run_wrk() { # name tokens duration pace_ms
  THREADS=$THREADS TOKENS=$2 PACE_MS=$4 \
    wrk -t$THREADS -c"$CONCURRENCY" -d"$3"s --timeout 10s --latency -s benches/check-in.lua \
    "http://127.0.0.1:$PORT" >"$WORK/$1.wrk" 2>&1 || true
  local line
  line=$(grep '^RESULT' "$WORK/$1.wrk" || echo "RESULT failed")
  log "$1: ${line#RESULT }"
}

for r in $(seq "$RUNS"); do
  take_tokens "$WORK/peak$r.tokens" "$PEAK_STUDENTS"
  run_wrk "api-peak-$r" "$WORK/peak$r.tokens" "$DURATION" 0
done
PEAK=$(for r in $(seq "$RUNS"); do value "api-peak-$r" rps; done | median)
log "API peak (median): $PEAK check-ins/s"

HALF=$(awk -v p="$PEAK" 'BEGIN{printf "%d", p/2}')
PACE=$(awk -v c="$CONCURRENCY" -v h="$HALF" 'BEGIN{printf "%.2f", 1000*c/h}')
for r in $(seq "$RUNS"); do
  take_tokens "$WORK/half$r.tokens" "$HALF_STUDENTS"
  run_wrk "api-half-$r" "$WORK/half$r.tokens" "$DURATION" "$PACE"
done
log "API at half peak (target $HALF/s): median rate $(for r in $(seq "$RUNS"); do value "api-half-$r" rps; done | median)/s," \
  "median p99 $(for r in $(seq "$RUNS"); do value "api-half-$r" p99_ms; done | median) ms"
log "server-side errors logged: $(grep -c ' ERROR ' "$WORK/server.log" || true)"
kill $SERVER_PID && wait $SERVER_PID 2>/dev/null || true
SERVER_PID=

if [ "$BACKEND" = postgres ]; then
  # The district's today (the synthetic district keeps the default time zone, UTC).
  DAY=$(date -u +%F)
  psql "$DATABASE_URL" -qc "DROP TABLE IF EXISTS bench_queue" \
    -c "CREATE TABLE bench_queue (n SERIAL PRIMARY KEY, student_id TEXT NOT NULL)" \
    -c "INSERT INTO bench_queue (student_id) SELECT u.id FROM users u WHERE u.district_id = '$DISTRICT' AND u.role = 'student'
          AND NOT EXISTS (SELECT 1 FROM check_ins c WHERE c.student_id = u.id AND c.on_day = '$DAY') ORDER BY random()" \
    -c "ANALYZE"
  OFFSET=0
  for r in $(seq "$RUNS"); do
    pgbench -n -M prepared -c "$CONCURRENCY" -j $THREADS -T "$DURATION" -f benches/check-in.sql \
      -D i=0 -D offset=$OFFSET -D clients="$CONCURRENCY" -D day="$DAY" -D district="$DISTRICT" \
      "$DATABASE_URL" >"$WORK/pgbench-$r.txt" 2>&1 || true
    TPS=$(awk '/^tps/{print $3}' "$WORK/pgbench-$r.txt")
    DONE=$(awk -F': ' '/actually processed/{split($2,a,"/"); print a[1]}' "$WORK/pgbench-$r.txt")
    FAILED=$(awk -F': ' '/number of failed/{print $2}' "$WORK/pgbench-$r.txt")
    log "pgbench-$r: tps=$TPS transactions=$DONE failed=$FAILED"
    echo "$TPS" >>"$WORK/pgbench.tps"
    OFFSET=$(psql "$DATABASE_URL" -Atc "SELECT coalesce(max(q.n), 0) FROM bench_queue q JOIN check_ins c
      ON c.student_id = q.student_id AND c.on_day = '$DAY'")
  done
  PG=$(median <"$WORK/pgbench.tps")
  log "pgbench (median): $PG transactions/s"
  log "API / pgbench: $(awk -v a="$PEAK" -v p="$PG" 'BEGIN{printf "%.2f", a/p}') (target >= 0.70)"
fi
log "report: $REPORT"
