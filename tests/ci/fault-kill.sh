#!/usr/bin/env bash
# Fault: the server is killed with SIGKILL while students submit surveys, then started again.
# Passes when no submission acknowledged with 201 is missing from the database and retries with
# the same Idempotency-Key are answered 201, as the original was.
#
#   BIN=target/debug/securebase tests/ci/fault-kill.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-target/debug/securebase}
PORT=${PORT:-18430}
. tests/ci/lib.sh

fresh_db securebase_fault_kill
export JWT_SECRET=securebase-ci-fault-secret-0123456789abcdef
# 32 bytes, base64: the seal key of the window's responses (CI only).
export SURVEY_SEAL_KEY=c2VjdXJlYmFzZS1jaS1mYXVsdC1zZWFsLWtleS0zMmI=
"$BIN" migrate >/dev/null
"$BIN" synthetic --schools 2 --students-per-school 2500 --response-rate 0 \
    --tokens-out "$OUT/kill-tokens.txt" --token-ttl-secs 3600 >"$OUT/kill-synthetic.txt"
WINDOW=$(awk '/^window /{print $2}' "$OUT/kill-synthetic.txt")

serve() {
    BIND_ADDR="127.0.0.1:$PORT" RUST_LOG=warn "$BIN" serve --no-migrate >>"$OUT/kill-server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && return; sleep 0.25; done
    echo "server did not start" >&2
    return 1
}
trap stop_server EXIT
serve
curl -sf -H "Authorization: Bearer $(head -1 "$OUT/kill-tokens.txt")" \
    "http://127.0.0.1:$PORT/api/v1/survey-windows/$WINDOW/questionnaire" |
    python3 benches/bench_items.py >"$OUT/kill-items.txt"

python3 tests/ci/submit_load.py --base "http://127.0.0.1:$PORT" --window "$WINDOW" \
    --tokens "$OUT/kill-tokens.txt" --items "$OUT/kill-items.txt" --seconds 16 --threads 8 \
    --out "$OUT/kill-load.json" &
LOAD_PID=$!
kills=0
for pause in 4 4; do
    sleep "$pause"
    kill -KILL "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
    kills=$((kills + 1))
    sleep 1
    serve
done
wait $LOAD_PID

stored=$(psql "$DATABASE_URL" -tAX -c "SELECT count(*) FROM survey_participation WHERE window_id = '$WINDOW'")
# The window is open: its responses are sealed.
responses=$(psql "$DATABASE_URL" -tAX -c "SELECT count(*) FROM survey_sealed_responses WHERE window_id = '$WINDOW'")
echo "fault kill: $kills SIGKILLs; load $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(dict(d["statuses"]), "acknowledged", d["acknowledged"], "replays", dict(d["replays"]))' "$OUT/kill-load.json")"
echo "fault kill: stored participation $stored, responses $responses"
python3 - "$OUT/kill-load.json" "$stored" "$responses" <<'PY'
import json, sys
load = json.load(open(sys.argv[1]))
stored, responses = int(sys.argv[2]), int(sys.argv[3])
failures = []
if load["statuses"].get("500"): failures.append(f"{load['statuses']['500']} answers were 500")
if load["statuses"].get("409"): failures.append(f"{load['statuses']['409']} retries were refused as duplicates (409)")
if load["hangs"]: failures.append(f"{load['hangs']} requests hung")
if not load["statuses"].get("no answer"): failures.append("no request was cut off by the kill")
# Every acknowledged write is stored; a submission cut off mid-request may be stored too, and its
# retry with the same key is then answered 201 (counted as acknowledged), never stored twice.
if stored != load["acknowledged"]: failures.append(f"{load['acknowledged']} acknowledged but {stored} stored")
if responses != stored: failures.append(f"{responses} responses for {stored} participations")
if load["replays"].get("201", 0) != sum(load["replays"].values()): failures.append(f"replays answered {dict(load['replays'])}")
for f in failures: print("fault kill: FAILED:", f)
sys.exit(1 if failures else 0)
PY
echo "fault kill: passed"
