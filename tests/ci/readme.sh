#!/usr/bin/env bash
# Runs the README's shell blocks as a reader would: every ```sh / ```bash block of README.md, in
# order, in one bash with `set -euo pipefail`, against a fresh demo server (`$BIN serve --demo`
# on a new SQLite file), and fails naming the first block that fails.
#
#   BIN=target/debug/securebase bash tests/ci/readme.sh
#
# Conventions for README blocks:
# - A block is skipped when the line right before its opening fence is a marker
#       <!-- readme-test: skip (why) -->
#   Use it only for blocks that cannot run here: ones that start a server, a build or a
#   container, and ones with placeholders a human must choose (written `<…>` in the block).
#   The blocks of the section "Development" are skipped too (it runs CI, this script included).
# - Every other block runs as written (a placeholder such as `X=…`, `"…"` or `<your-host>` in it
#   fails the run before anything starts): ids are captured with curl + jq into variables, dates are
#   relative to today (`date -u -d '+7 days' +%F`), each block signs in as the user it names,
#   and `curl -fsS` is used wherever the README means success, so any other status fails the
#   block. A block that shows a refusal checks it (`… -w '%{http_code}\n' | grep -x 409`).
# - `securebase` in a block is the binary under test ($BIN), working on the server's database
#   (DATABASE_URL is exported to the blocks), the way a reader runs it beside their demo server.
# - The blocks talk to localhost:8080; here that is rewritten to PORT (18440), and they run in a
#   scratch directory (target/ci/readme) whose `seed` is the repository's.
#
# Output of the blocks: target/ci/readme-blocks.log; the server's log: target/ci/readme-server.log.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=${BIN:-target/debug/securebase}
PORT=${PORT:-18440}
. tests/ci/lib.sh

if ! command -v jq >/dev/null; then
    apt-get update -qq && apt-get install -y -qq jq >/dev/null
fi
for tool in curl jq python3 openssl; do
    command -v "$tool" >/dev/null || { echo "readme: $tool is needed" >&2; exit 1; }
done
BIN_ABS=$(realpath "$BIN")
[ -x "$BIN_ABS" ] || { echo "readme: no server binary at $BIN (cargo build first)" >&2; exit 1; }

WORK="$ROOT/$OUT/readme"
rm -rf "$WORK"
mkdir -p "$WORK"
ln -s "$ROOT/seed" "$WORK/seed"
# The sign-in section starts the test identity provider from tests/oidc.
ln -s "$ROOT/tests" "$WORK/tests"
SCRIPT="$OUT/readme-blocks.sh"
LOG="$OUT/readme-blocks.log"
SERVER_LOG="$OUT/readme-server.log"
: >"$SERVER_LOG"

# The blocks, in order, as one script. Each block is preceded by a line recording which it is,
# so that a failure can be named.
python3 - "$ROOT/${README:-README.md}" "$PORT" >"$SCRIPT" <<'PY'
import re, shlex, sys, textwrap

readme, port = sys.argv[1], sys.argv[2]
lines = open(readme, encoding="utf-8").read().split("\n")
SKIP_SECTIONS = {"Development"}
section, blocks, skipped = "", [], []
i = 0
while i < len(lines):
    line = lines[i]
    if line.startswith("## "):
        section = line[3:].strip()
    m = re.match(r"^(\s*)```(sh|bash)\s*$", line)
    if not m:
        i += 1
        continue
    start = i + 1  # 1-based line number of the fence
    body = []
    i += 1
    while i < len(lines) and not re.match(r"^\s*```\s*$", lines[i]):
        body.append(lines[i])
        i += 1
    i += 1
    previous = next((l for l in reversed(lines[: start - 1]) if l.strip()), "")
    if "readme-test: skip" in previous or section in SKIP_SECTIONS:
        skipped.append(start)
        continue
    text = textwrap.dedent("\n".join(body))
    text = text.replace("localhost:8080", f"localhost:{port}").replace(
        "127.0.0.1:8080", f"127.0.0.1:{port}"
    )
    # A placeholder left for the reader (`W=…`, `"student_id":"…"`, `KEY=...`) in a block that
    # is meant to run: the block must compute the value, or be marked as skipped.
    for k, l in enumerate(body):
        if re.search(r'=…|"…"|=\.\.\.(\s|$)|<[a-z][a-z -]*>', l):
            sys.exit(f"README.md line {start + 1 + k}: a placeholder in a block that runs: {l.strip()}")
    blocks.append((start, section, text))

print("set -Eeuo pipefail")
print('securebase() { "$SECUREBASE_BIN" "$@"; }')
print("trap 'echo \"README block $README_BLOCK failed (exit $?) at: $BASH_COMMAND\" >&2' ERR")
for n, (start, section, text) in enumerate(blocks, 1):
    label = f"{n} of {len(blocks)}: README.md line {start}, section \"{section}\""
    print(f"README_BLOCK={shlex.quote(label)}")
    print(f"echo; echo \"===== block $README_BLOCK\"")
    print(text)
print(f"echo; echo \"===== {len(blocks)} blocks run, {len(skipped)} skipped (lines {', '.join(map(str, skipped))})\"")
PY

export DATABASE_URL="$WORK/securebase.db"
# A provider a failed block left running (the sign-in section stops its own).
stop_all() {
    stop_server
    pkill -f 'node tests/oidc/provider.mjs' 2>/dev/null || true
}
trap stop_all EXIT
start=$(date +%s)
start_server "$PORT" "$SERVER_LOG"

set +e
(cd "$WORK" && SECUREBASE_BIN="$BIN_ABS" timeout 900 bash "$ROOT/$SCRIPT") >"$LOG" 2>&1
status=$?
set -e
elapsed=$(($(date +%s) - start))
if [ "$status" -ne 0 ]; then
    failed=$(grep -o 'README block .* failed.*' "$LOG" | tail -1)
    echo "readme: FAILED (exit $status) after ${elapsed}s: ${failed:-see $LOG}"
    echo "--- last output of the block ($LOG):"
    tail -25 "$LOG"
    exit 1
fi
if grep -q "panicked" "$SERVER_LOG"; then
    echo "readme: the server log holds a panic ($SERVER_LOG)" >&2
    exit 1
fi
echo "readme: $(tail -1 "$LOG" | sed 's/^===== //') in ${elapsed}s; output in $LOG"
