#!/usr/bin/env bash
# Sign-in under load: password hashing runs on one thread per core behind a bounded queue
# (`src/auth/hashing.rs`), and what it cannot take is answered 503 with Retry-After.
#
#   benches/sign-in.sh postgres
#   benches/sign-in.sh sqlite
#
# On the demo district (every account has the demo password), in one run:
#   1. the limit: cores ÷ one hash's time, the hash timed by `securebase hash-timing` (the median
#      of 21 password checks, as sign-in does them) just before the load;
#   2. the peak: sign-ins per second answered 200 with 4 × cores connections;
#   3. p99 at about half the limit: cores ÷ 2 connections, one request at a time each;
#   4. a storm: 1,000 connections signing in at once for DURATION seconds, then the server's
#      peak resident memory (VmHWM) and how the answers split between 200 and 503.
# Results go to stdout and to target/bench/sign-in-<backend>.txt. Tunables: RUNS (3), DURATION
# seconds (10), STORM (1000), BENCH_PG, PORT (18097).
set -euo pipefail

BACKEND=${1:-postgres}
RUNS=${RUNS:-3}
DURATION=${DURATION:-10}
STORM=${STORM:-1000}
BENCH_PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
PORT=${PORT:-18097}

cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/target/bench
WORK=$OUT/sign-in-$BACKEND
rm -rf "$WORK" && mkdir -p "$WORK"
REPORT=$OUT/sign-in-$BACKEND.txt
: >"$REPORT"
log() { echo "$*" | tee -a "$REPORT"; }

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 1; }
ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -gt $((STORM + 500)) ] || { echo "open-file limit too low for $STORM connections" >&2; exit 1; }
if [ -z "${BIN:-}" ]; then
  cargo build --release --locked --quiet
  BIN=$ROOT/target/release/securebase
fi
export JWT_SECRET=securebase-benchmark-secret-0123456789abcdef
export RUST_LOG=error
# The per-address limit would answer most of one machine's requests 429, and a few hundred
# accounts signing in over and over would trip the lockout (every attempt counts until its
# success clears it): neither is what is measured here.
export LOGIN_RATE_PER_IP=1000000000 LOGIN_LOCKOUT_THRESHOLD=1000000000

case $BACKEND in
  postgres)
    psql "$BENCH_PG/postgres" -qc 'DROP DATABASE IF EXISTS securebase_signin' -c 'CREATE DATABASE securebase_signin'
    export DATABASE_URL=$BENCH_PG/securebase_signin ;;
  sqlite) export DATABASE_URL=$WORK/signin.db ;;
  *) echo "usage: $0 postgres|sqlite" >&2; exit 2 ;;
esac
cut -d, -f1,2 seed/demo/users.csv | awk -F, 'NR > 1 && $2 == "student" {print $1}' >"$WORK/users.txt"
export USERS=$WORK/users.txt PASSWORD=GrowTogether-2026
cores=$(nproc)
log "machine: $cores cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(wc -l <"$USERS") accounts"

ready() { for _ in $(seq 300); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && return; sleep 0.1; done; }
# The first start loads the demo; the measured server starts on the loaded database, so that its
# peak memory is that of serving.
$BIN serve --demo --bind-addr "127.0.0.1:$PORT" >"$WORK/load.log" 2>&1 &
SERVER=$!
ready; kill $SERVER; wait $SERVER 2>/dev/null || true
$BIN serve --demo --bind-addr "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
ready
log "server at rest: $(awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$SERVER/status") MB resident"

median() { sort -g | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# wrk prints "50%  1.23ms": in milliseconds.
pct_ms() {
  awk -v p="$2" '$1 == p { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } print v }' "$1"
}
ok_per_sec() { # 200s per second of one wrk output
  awk -v d="$DURATION" '/requests in/ {n = $1} /Non-2xx/ {bad = $NF} END {printf "%.1f\n", (n - bad) / d}' "$1"
}
run() { # name connections
  wrk -t"$(( $2 < 2 ? 1 : 2 ))" -c"$2" -d"${DURATION}s" --latency -s benches/sign-in.lua "http://127.0.0.1:$PORT" >"$WORK/$1.wrk"
}

: >"$WORK/hash.txt"; : >"$WORK/peak.txt"; : >"$WORK/half.txt"; : >"$WORK/one.txt"
for r in $(seq "$RUNS"); do
  $BIN hash-timing >>"$WORK/hash.txt"
  run "one-$r" 1; pct_ms "$WORK/one-$r.wrk" 50% >>"$WORK/one.txt"
  run "peak-$r" $((4 * cores)); ok_per_sec "$WORK/peak-$r.wrk" >>"$WORK/peak.txt"
  run "half-$r" $(( cores / 2 < 1 ? 1 : cores / 2 )); pct_ms "$WORK/half-$r.wrk" 99% >>"$WORK/half.txt"
done
hash_ms=$(median <"$WORK/hash.txt")
limit=$(awk -v c="$cores" -v h="$hash_ms" 'BEGIN{printf "%.1f", c * 1000 / h}')
peak=$(median <"$WORK/peak.txt")
log "one password check: $(tr '\n' ' ' <"$WORK/hash.txt")-> median $hash_ms ms; limit $cores / that = $limit sign-ins/s"
log "one sign-in at a time (check and database work): median $(median <"$WORK/one.txt") ms"
log "peak ($((4 * cores)) connections): $(tr '\n' ' ' <"$WORK/peak.txt")-> median $peak sign-ins/s = $(awk -v a="$peak" -v b="$limit" 'BEGIN{printf "%.2f", a/b}') of the limit"
log "p99 at about half the limit ($(( cores / 2 < 1 ? 1 : cores / 2 )) connections): $(tr '\n' ' ' <"$WORK/half.txt")-> median $(median <"$WORK/half.txt") ms"

wrk -t2 -c"$STORM" -d"${DURATION}s" --latency --timeout 10s -s benches/sign-in.lua "http://127.0.0.1:$PORT" >"$WORK/storm.wrk" || true
rss=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$SERVER/status")
total=$(awk '/requests in/ {print $1}' "$WORK/storm.wrk")
busy=$(awk '/Non-2xx/ {print $NF}' "$WORK/storm.wrk"); busy=${busy:-0}
log "storm ($STORM connections, ${DURATION}s): $total answers, $((total - busy)) signed in, $busy refused (503 with Retry-After), p99 $(pct_ms "$WORK/storm.wrk" 99%) ms; server peak RSS $rss MB (target < 150)"
kill $SERVER; wait $SERVER 2>/dev/null || true
log "report: $REPORT"
