#!/usr/bin/env bash
# Report latency at district scale, against the cheapest authenticated read.
#
#   benches/reports.sh postgres    # 200 schools: 100,000 and 1,000,000 responses (4 windows each)
#   benches/reports.sh sqlite      # 200 schools: 100,000 responses
#
# Builds synthetic districts (every student answers 4 windows: 3 past ones and the current one,
# closed; the survey job opens them as the command ends), reads each district report once, then
# measures with wrk, one connection at a time, the median latency of GET /api/v1/me and of the
# district climate report of each district's latest window. Results go to stdout and to
# target/bench/reports-<backend>.txt. Tunables: RUNS (3), DURATION seconds (10), SCHOOLS (200),
# BENCH_PG, PORT (18090).
set -euo pipefail

BACKEND=${1:-postgres}
RUNS=${RUNS:-3}
DURATION=${DURATION:-10}
SCHOOLS=${SCHOOLS:-200}
BENCH_PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
PORT=${PORT:-18090}

cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/target/bench
WORK=$OUT/reports-$BACKEND
# REUSE=1 measures the data set of the previous run again (generating 1,000,000 answers takes
# minutes).
[ -n "${REUSE:-}" ] || rm -rf "$WORK"
mkdir -p "$WORK"
REPORT=$OUT/reports-$BACKEND.txt
: >"$REPORT"
log() { echo "$*" | tee -a "$REPORT"; }

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 1; }
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
    [ -n "${REUSE:-}" ] ||
      psql "$BENCH_PG/postgres" -qc 'DROP DATABASE IF EXISTS securebase_reports' -c 'CREATE DATABASE securebase_reports'
    export DATABASE_URL=$BENCH_PG/securebase_reports
    SIZES="125 1250" ;;
  sqlite)
    [ -n "${REUSE:-}" ] || rm -f "$WORK"/reports.db*
    export DATABASE_URL=$WORK/reports.db
    SIZES="125" ;;
  *) echo "usage: $0 postgres|sqlite" >&2; exit 2 ;;
esac

log "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
$BIN migrate >/dev/null
for size in $SIZES; do
  responses=$((SCHOOLS * size * 4))
  [ -n "${REUSE:-}" ] && [ -f "$WORK/admin-$responses.token" ] && continue
  start=$(date +%s)
  $BIN synthetic --schools "$SCHOOLS" --students-per-school "$size" --response-rate 1 --past-windows 3 \
    --close --seed "$size" --admin-token-out "$WORK/admin-$responses.token" --token-ttl-secs 14400 \
    >"$WORK/synthetic-$responses.txt"
  log "generated $responses responses ($SCHOOLS schools x $size students x 4 windows) in $(($(date +%s) - start)) s"
done

$BIN serve --no-migrate --bind-addr "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done

# wrk prints "50%  1.23ms"; median_ms turns one run's p50 into milliseconds.
median_ms() {
  awk '$1 == "50%" { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } print v }' "$1"
}
median() { sort -g | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
measure() { # name token path
  for r in $(seq "$RUNS"); do
    wrk -t1 -c1 -d"${DURATION}s" --latency -H "Authorization: Bearer $2" "http://127.0.0.1:$PORT$3" >"$WORK/$1-$r.wrk"
    grep -q "Non-2xx" "$WORK/$1-$r.wrk" && { echo "$1: non-2xx answers" >&2; cat "$WORK/$1-$r.wrk" >&2; exit 1; }
    median_ms "$WORK/$1-$r.wrk"
  done | median
}

declare -A REPORT_MS
for size in $SIZES; do
  responses=$((SCHOOLS * size * 4))
  token=$(cat "$WORK/admin-$responses.token")
  district=$(awk '/^district /{print $2}' "$WORK/synthetic-$responses.txt")
  window=$(awk '/^window /{print $2}' "$WORK/synthetic-$responses.txt")
  path="/api/v1/reports/districts/$district/climate?window_id=$window"
  first=$(curl -fs -o "$WORK/report-$responses.json" -w '%{time_total}' -H "Authorization: Bearer $token" "http://127.0.0.1:$PORT$path")
  log "$responses responses: first read (rendered when the window was opened) ${first}s; report body $(wc -c <"$WORK/report-$responses.json") bytes"
  REPORT_MS[$responses]=$(measure "report-$responses" "$token" "$path")
  log "$responses responses: district climate report median ${REPORT_MS[$responses]} ms ($RUNS runs of ${DURATION}s, 1 connection)"
  curl -fs -o "$WORK/report-schools-$responses.json" -H "Authorization: Bearer $token" "http://127.0.0.1:$PORT$path&breakdown=schools"
  log "$responses responses: with breakdown=schools ($(wc -c <"$WORK/report-schools-$responses.json") bytes) median $(measure "schools-$responses" "$token" "$path&breakdown=schools") ms"
done
smallest=$((SCHOOLS * 125 * 4))
ME=$(measure me "$(cat "$WORK/admin-$smallest.token")" /api/v1/me)
log "GET /api/v1/me median $ME ms"
for size in $SIZES; do
  responses=$((SCHOOLS * size * 4))
  log "report at $responses / GET /me: $(awk -v a="${REPORT_MS[$responses]}" -v b="$ME" 'BEGIN{printf "%.2f", a/b}')x (target <= 3)"
done
if [ "$BACKEND" = postgres ]; then
  log "report at 1,000,000 / at 100,000: $(awk -v a="${REPORT_MS[$((SCHOOLS * 1250 * 4))]}" -v b="${REPORT_MS[$smallest]}" 'BEGIN{printf "%.2f", a/b}')x (target <= 1.5)"
fi
log "report: $REPORT"
