#!/usr/bin/env bash
# Metrics: a demo server with METRICS_ADDR answers a few requests and a survey submission; its
# /metrics passes `promtool check metrics` (Debian's prometheus package, pinned below), names
# routes by template only, and is not served on the main address without the token.
#
#   BIN=target/debug/securebase bash tests/ci/metrics.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-target/debug/securebase}
. tests/ci/lib.sh
PORT=${PORT:-18460}
METRICS_PORT=${METRICS_PORT:-18461}
# Debian 12's promtool (package prometheus); the version is pinned so a run means the same.
PROMETHEUS_DEB=2.42.0+ds-5+deb12u1
if ! command -v promtool >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "prometheus=$PROMETHEUS_DEB" >/dev/null
fi

fresh_db securebase_metrics
trap stop_server EXIT
LOG=$OUT/metrics-server.log
: >"$LOG"
METRICS_ADDR="127.0.0.1:$METRICS_PORT" METRICS_TOKEN=$(printf 'm%.0s' $(seq 1 40)) \
    start_server "$PORT" "$LOG"
API="http://127.0.0.1:$PORT/api/v1"
T=$(token "$PORT" denise.whitfield)
CLASS=$(curl -sf "$API/classes?limit=1" -H "authorization: Bearer $T" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
curl -sf "$API/classes/$CLASS" -H "authorization: Bearer $T" >/dev/null
curl -s -o /dev/null "$API/no-such-route/42" || true
# A student's survey answers: the accepted-submissions total moves.
S=$(token "$PORT" andreg197)
WINDOW=$(curl -sf "$API/me/surveys" -H "authorization: Bearer $S" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
curl -sf "$API/survey-windows/$WINDOW/questionnaire" -H "authorization: Bearer $S" |
    python3 -c '
import json, sys
q = json.load(sys.stdin)
answers = [{"item_id": i["id"], "value": i["options"][0]["value"]} for s in q["sections"] for i in s["items"]]
print(json.dumps({"answers": answers}))' >"$OUT/metrics-answers.json"
curl -sf -X POST "$API/survey-windows/$WINDOW/responses" -H "authorization: Bearer $S" \
    -H 'content-type: application/json' --data @"$OUT/metrics-answers.json" >/dev/null

curl -sf "http://127.0.0.1:$METRICS_PORT/metrics" >"$OUT/metrics.txt"
promtool check metrics <"$OUT/metrics.txt"
grep -q 'securebase_http_requests_total{route="/api/v1/classes/{id}",method="GET",status="200"}' "$OUT/metrics.txt"
grep -q 'route="unmatched"' "$OUT/metrics.txt"
grep -q '^securebase_survey_submissions_accepted_total 1$' "$OUT/metrics.txt"
grep -q '^securebase_db_pool_max_connections ' "$OUT/metrics.txt"
if grep -q "$CLASS" "$OUT/metrics.txt"; then
    echo "metrics: a class id appears in the metrics" >&2
    exit 1
fi
# The main address: 404 without the token.
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/metrics")
[ "$code" = 404 ] || { echo "metrics: /metrics on the main address answered $code" >&2; exit 1; }
echo "metrics: promtool check passed; $(grep -c '^securebase_' "$OUT/metrics.txt") samples"
