# Shared by the CI scripts in tests/ci: a fresh PostgreSQL database, a server on it, tokens.
# Expects BIN (the securebase binary) and PG (a PostgreSQL URL without database name).

PG=${PG:-postgres://postgres@127.0.0.1:5432}
OUT=${OUT:-target/ci}
mkdir -p "$OUT"

# fresh_db NAME: drops and creates database NAME, sets DATABASE_URL to it.
fresh_db() {
    psql "$PG/postgres" -qX -v ON_ERROR_STOP=1 \
        -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null
    export DATABASE_URL="$PG/$1"
}

# start_server PORT LOG [ARGS...]: starts `securebase serve --demo` and waits until ready.
start_server() {
    local port=$1 log=$2
    shift 2
    BIND_ADDR="127.0.0.1:$port" RUST_LOG=${RUST_LOG:-warn} "$BIN" serve --demo "$@" >>"$log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 120); do
        if curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; then
            return 0
        fi
        sleep 0.5
    done
    echo "server on port $port did not become ready; log:" >&2
    tail -20 "$log" >&2
    return 1
}

stop_server() {
    if [ -n "${SERVER_PID:-}" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=
    fi
}

# token PORT USERNAME: an access token of a demo account.
token() {
    curl -sf -X POST "http://127.0.0.1:$1/api/v1/auth/login" -H 'content-type: application/json' \
        -d "{\"username\":\"$2\",\"password\":\"GrowTogether-2026\"}" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}
