#!/usr/bin/env bash
# Time a OneRoster import at district scale, and a re-import with 1% of rows changed.
#
#   benches/oneroster-import.sh postgres   # needs PostgreSQL at 127.0.0.1:5432 (BENCH_PG to change)
#   benches/oneroster-import.sh sqlite
#
# Generates (benches/oneroster_bundle.py) a bundle of USERS users (100,000), CLASSES classes
# (4,000) and ENROLLMENTS enrollments (400,000), zipped, and the same bundle with CHANGE (1%) of
# the users, classes and enrollments changed. Each of RUNS (3) runs starts from an empty
# database, creates a district, then times with /usr/bin/time:
#   1. the first import of the bundle,
#   2. the re-import of the changed bundle,
#   3. a re-import of the changed bundle again (nothing to change).
# Reports the median wall time and peak resident memory of each step, to stdout and to
# target/bench/oneroster-import-<backend>.txt.
set -euo pipefail

BACKEND=${1:-postgres}
RUNS=${RUNS:-3}
USERS=${USERS:-100000}
CLASSES=${CLASSES:-4000}
ENROLLMENTS=${ENROLLMENTS:-400000}
CHANGE=${CHANGE:-0.01}
BENCH_PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}

cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/target/bench
WORK=$OUT/oneroster-$BACKEND
rm -rf "$WORK"
mkdir -p "$WORK"
REPORT=$OUT/oneroster-import-$BACKEND.txt
: >"$REPORT"
log() { echo "$*" | tee -a "$REPORT"; }

[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed: apt-get install -y time" >&2; exit 1; }
if [ -z "${BIN:-}" ]; then
  cargo build --release --locked --quiet
  BIN=$ROOT/target/release/securebase
fi
export RUST_LOG=warn
export SECUREBASE_ADMIN_PASSWORD=bench-admin-password

python3 benches/oneroster_bundle.py "$WORK/base" --users "$USERS" --classes "$CLASSES" \
  --enrollments "$ENROLLMENTS" --zip "$WORK/base.zip" >/dev/null
python3 benches/oneroster_bundle.py "$WORK/changed" --users "$USERS" --classes "$CLASSES" \
  --enrollments "$ENROLLMENTS" --change-fraction "$CHANGE" --zip "$WORK/changed.zip" >/dev/null

fresh_database() {
  case $BACKEND in
    postgres)
      psql "$BENCH_PG/postgres" -qc 'DROP DATABASE IF EXISTS securebase_oneroster' \
        -c 'CREATE DATABASE securebase_oneroster'
      export DATABASE_URL=$BENCH_PG/securebase_oneroster ;;
    sqlite)
      rm -f "$WORK"/import.db*
      export DATABASE_URL=$WORK/import.db ;;
    *) echo "backend: postgres or sqlite" >&2; exit 2 ;;
  esac
  "$BIN" migrate >/dev/null
  DISTRICT=$("$BIN" create-admin --district "Bench Unified" --username bench.admin \
    --given-name Bench --family-name Admin | awk '/^district/ {print $2}')
}

# Runs one import; appends "seconds kilobytes" to $1.
timed_import() {
  local into=$1 bundle=$2
  /usr/bin/time -f "%e %M" -o "$WORK/time" "$BIN" import oneroster "$bundle" \
    --district "$DISTRICT" >"$WORK/last-report.txt"
  cat "$WORK/time" >>"$into"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

: >"$WORK/first"; : >"$WORK/changed-run"; : >"$WORK/again"
for run in $(seq "$RUNS"); do
  fresh_database
  timed_import "$WORK/first" "$WORK/base.zip"
  timed_import "$WORK/changed-run" "$WORK/changed.zip"
  cp "$WORK/last-report.txt" "$WORK/changed-report.txt"
  timed_import "$WORK/again" "$WORK/changed.zip"
  echo "run $run: $(tr '\n' ' ' <"$WORK/first" | awk '{print $(NF-1)}') s first import" >&2
done

log "OneRoster import, $BACKEND: $USERS users, $CLASSES classes, $ENROLLMENTS enrollments ($(du -h "$WORK/base.zip" | cut -f1) zipped), median of $RUNS runs"
for step in "first:first import" "changed-run:re-import, ${CHANGE} changed" "again:re-import, nothing changed"; do
  file=${step%%:*}; label=${step#*:}
  secs=$(cut -d' ' -f1 "$WORK/$file" | median)
  mem=$(cut -d' ' -f2 "$WORK/$file" | median)
  log "$(printf '%-32s %7s s   peak RSS %6d MiB   (runs: %s)' "$label" "$secs" $((mem / 1024)) "$(cut -d' ' -f1 "$WORK/$file" | tr '\n' ' ')")"
done
log "changes applied by the re-import:"
grep -E "^(users|classes|enrollments|class teachers) " "$WORK/changed-report.txt" | tee -a "$REPORT"
