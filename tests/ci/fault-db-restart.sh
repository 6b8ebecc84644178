#!/usr/bin/env bash
# Fault: PostgreSQL stops (immediate mode, as in a crash) and comes back while students submit
# surveys. Passes when the server keeps running, /readyz says unready during the outage and
# ready after, requests during the outage get 503 problem documents (no 500, no hang), and
# every submission acknowledged with 201 is in the database.
#
#   BIN=target/debug/securebase tests/ci/fault-db-restart.sh     (needs root: it stops PostgreSQL)
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-target/debug/securebase}
PORT=${PORT:-18420}
. tests/ci/lib.sh
CLUSTER="$(ls /etc/postgresql) main"

fresh_db securebase_fault_db
export JWT_SECRET=securebase-ci-fault-secret-0123456789abcdef
# 32 bytes, base64: the seal key of the window's responses (CI only).
export SURVEY_SEAL_KEY=c2VjdXJlYmFzZS1jaS1mYXVsdC1zZWFsLWtleS0zMmI=
"$BIN" migrate >/dev/null
"$BIN" synthetic --schools 2 --students-per-school 2500 --response-rate 0 \
    --tokens-out "$OUT/db-tokens.txt" --token-ttl-secs 3600 >"$OUT/db-synthetic.txt"
WINDOW=$(awk '/^window /{print $2}' "$OUT/db-synthetic.txt")

trap 'stop_server; pg_ctlcluster --skip-systemctl-redirect $CLUSTER start 2>/dev/null || true' EXIT
BIND_ADDR="127.0.0.1:$PORT" RUST_LOG=warn DATABASE_TIMEOUT_SECS=2 "$BIN" serve --no-migrate \
    >"$OUT/db-server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.5; done
curl -sf -H "Authorization: Bearer $(head -1 "$OUT/db-tokens.txt")" \
    "http://127.0.0.1:$PORT/api/v1/survey-windows/$WINDOW/questionnaire" |
    python3 benches/bench_items.py >"$OUT/db-items.txt"

python3 tests/ci/submit_load.py --base "http://127.0.0.1:$PORT" --window "$WINDOW" \
    --tokens "$OUT/db-tokens.txt" --items "$OUT/db-items.txt" --seconds 24 --threads 8 \
    --out "$OUT/db-load.json" &
LOAD_PID=$!

sleep 6
pg_ctlcluster --skip-systemctl-redirect $CLUSTER stop -m immediate
sleep 1
down_ready=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://127.0.0.1:$PORT/readyz")
down_health=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://127.0.0.1:$PORT/healthz")
sleep 4
pg_ctlcluster --skip-systemctl-redirect $CLUSTER start
for _ in $(seq 1 60); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 0.5; done
up_ready=000
for _ in $(seq 1 40); do
    up_ready=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://127.0.0.1:$PORT/readyz")
    [ "$up_ready" = 200 ] && break
    sleep 0.5
done
wait $LOAD_PID

stored=$(psql "$DATABASE_URL" -tAX -c "SELECT count(*) FROM survey_participation WHERE window_id = '$WINDOW'")
# The window is open: its responses are sealed.
responses=$(psql "$DATABASE_URL" -tAX -c "SELECT count(*) FROM survey_sealed_responses WHERE window_id = '$WINDOW'")
summary=$(cat "$OUT/db-load.json")
alive=$(kill -0 "$SERVER_PID" 2>/dev/null && echo yes || echo no)
echo "fault db-restart: readyz during outage $down_ready, healthz $down_health, after $up_ready; server alive: $alive"
echo "fault db-restart: load $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(dict(d["statuses"]), "acknowledged", d["acknowledged"], "503 problems", d["problem_503"], "hangs", d["hangs"])' "$OUT/db-load.json")"
echo "fault db-restart: stored participation $stored, responses $responses"
python3 - "$OUT/db-load.json" "$stored" "$responses" "$down_ready" "$up_ready" "$alive" <<'PY'
import json, sys
load = json.load(open(sys.argv[1]))
stored, responses = int(sys.argv[2]), int(sys.argv[3])
down, up, alive = sys.argv[4], sys.argv[5], sys.argv[6]
failures = []
if alive != "yes": failures.append("the server died")
if down != "503": failures.append(f"/readyz answered {down} during the outage, not 503")
if up != "200": failures.append(f"/readyz answered {up} after the outage, not 200")
if load["statuses"].get("500"): failures.append(f"{load['statuses']['500']} answers were 500")
if load["statuses"].get("409"): failures.append(f"{load['statuses']['409']} retries were refused as duplicates (409)")
if load["hangs"]: failures.append(f"{load['hangs']} requests hung past the client timeout")
if not load["statuses"].get("503"): failures.append("no request saw the outage (503)")
if load["problem_503"] != load["statuses"].get("503", 0): failures.append("a 503 was not a problem document")
if stored != load["acknowledged"]: failures.append(f"{load['acknowledged']} acknowledged but {stored} stored")
if responses != stored: failures.append(f"{responses} responses for {stored} participations")
if load["replays"].get("201", 0) != sum(load["replays"].values()): failures.append(f"replays answered {dict(load['replays'])}")
for f in failures: print("fault db-restart: FAILED:", f)
sys.exit(1 if failures else 0)
PY
echo "fault db-restart: passed"
