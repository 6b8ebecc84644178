#!/usr/bin/env bash
# The API contract makes clean clients: openapi/openapi.json passes Redocly's `recommended`
# ruleset, and the TypeScript and Python clients generated from it compile, import, and name
# every documented model (no anonymous `PageClassItemsItem` copies).
#
#   bash tests/ci/contract.sh
#
# Tools are pinned in tests/ci/contract/: package.json + package-lock.json (@redocly/cli,
# openapi-typescript, typescript; `npm ci`) and requirements.txt (openapi-python-client and what
# the generated client imports; a venv). Both are installed under target/ci/contract and
# reinstalled only when their pins change. Needs node >= 20.19, npm and python3.
set -euo pipefail
cd "$(dirname "$0")/../.."
SPEC=${SPEC:-openapi/openapi.json}
PINS=tests/ci/contract
OUT=target/ci/contract
NPM_CACHE=$PWD/target/ci/npm-cache
mkdir -p "$OUT"

# --- tools -----------------------------------------------------------------------------------
stamp() { cat "$@" | sha256sum | cut -d' ' -f1; }

NPM_STAMP=$(stamp "$PINS/package.json" "$PINS/package-lock.json")
if [ "$(cat "$OUT/npm.stamp" 2>/dev/null)" != "$NPM_STAMP" ] || [ ! -d "$OUT/node_modules" ]; then
    cp "$PINS/package.json" "$PINS/package-lock.json" "$OUT/"
    (cd "$OUT" && npm ci --no-audit --no-fund --loglevel=error --cache "$NPM_CACHE")
    echo "$NPM_STAMP" >"$OUT/npm.stamp"
fi
BIN=$OUT/node_modules/.bin

VENV=$OUT/venv
PY_STAMP=$(stamp "$PINS/requirements.txt")
if [ "$(cat "$OUT/venv.stamp" 2>/dev/null)" != "$PY_STAMP" ] || [ ! -x "$VENV/bin/python" ]; then
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check -r "$PINS/requirements.txt"
    echo "$PY_STAMP" >"$OUT/venv.stamp"
fi

# --- lint ------------------------------------------------------------------------------------
# 0 errors and 0 warnings: redocly.yaml keeps every `recommended` rule; the only waived findings
# are listed, with their reasons, in tests/ci/contract/.redocly.lint-ignore.yaml.
echo "-- redocly lint --extends recommended"
LINT=("$BIN/redocly" lint --extends recommended --config "$PINS/redocly.yaml" "$SPEC")
"${LINT[@]}" --format json >"$OUT/lint.json" 2>"$OUT/lint.stderr" || true
if ! node -e '
    const t = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).totals;
    console.log(`errors ${t.errors}, warnings ${t.warnings}, waived ${t.ignored}`);
    process.exit(t.errors === 0 && t.warnings === 0 ? 0 : 1);
' "$OUT/lint.json"; then
    "${LINT[@]}" --format stylish 2>/dev/null || true
    echo "redocly lint: fix every error and warning, or waive one with its reason" >&2
    exit 1
fi

# --- TypeScript --------------------------------------------------------------------------------
echo "-- openapi-typescript, then tsc --strict --noEmit"
TS=$OUT/ts
rm -rf "$TS" && mkdir -p "$TS"
"$BIN/openapi-typescript" "$SPEC" -o "$TS/schema.d.ts" --silent
cp "$PINS/usage.ts" "$TS/usage.ts"
"$BIN/tsc" --strict --noEmit --target es2022 --module es2022 --moduleResolution bundler \
    --lib es2022 "$TS/usage.ts" "$TS/schema.d.ts"

# --- Python ------------------------------------------------------------------------------------
echo "-- openapi-python-client, then import"
PY=$OUT/py
rm -rf "$PY"
"$VENV/bin/openapi-python-client" generate --path "$SPEC" --config "$PINS/python-client.yaml" \
    --output-path "$PY/securebase_client" --meta none >"$OUT/python-client.txt" 2>&1 ||
    { cat "$OUT/python-client.txt"; exit 1; }
# The generator reports what it could not turn into code as warnings, and still succeeds.
if grep -qiE "warning|error|could not|unsupported" "$OUT/python-client.txt"; then
    cat "$OUT/python-client.txt"
    echo "openapi-python-client had problems with $SPEC" >&2
    exit 1
fi
PYTHONPATH=$PY "$VENV/bin/python" - "$SPEC" "$PY/securebase_client/models" <<'EOF'
import importlib, json, os, re, sys

spec, models_dir = sys.argv[1], sys.argv[2]
import securebase_client
from securebase_client import Client, AuthenticatedClient  # noqa: F401
from securebase_client.models import Class, PageClass, ProblemType, ClimateReport  # noqa: F401
from securebase_client.api.auth import login  # noqa: F401

assert ProblemType("urn:securebase:problem:validation-failed")
page = PageClass.from_dict({"items": [], "page": 1, "limit": 50, "total": 0})
assert page.items == []

schemas = json.load(open(spec))["components"]["schemas"]

def module_name(schema):  # Page_Class -> page_class, ReportRow -> report_row, Class -> class_
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", schema.replace("_", "")).lower()
    return snake + "_" if snake in {"class", "format"} else snake

documented = {module_name(s) for s in schemas}
# Models the generator names after their place, not a schema, on purpose: free-form maps.
FREE_FORM = {
    "audit_event_scope": "AuditEvent.scope: what an event touched, a JSON object per kind",
    "import_report_skipped": "ImportReport.skipped: rows skipped, a map from reason to count",
}
generated = {f[:-3] for f in os.listdir(models_dir) if f.endswith(".py") and f != "__init__.py"}
anonymous = sorted(generated - documented - set(FREE_FORM))
for name in sorted(generated):
    importlib.import_module(f"securebase_client.models.{name}")
missing = sorted(documented - generated)
if anonymous or missing:
    sys.exit(f"anonymous models: {anonymous}; documented schemas without a model: {missing}")
print(f"{len(generated)} models, all named after documented schemas ({len(FREE_FORM)} free-form maps)")
EOF

# --- no anonymous copies of documented models ----------------------------------------------------
# Python: every model file is checked above. TypeScript: openapi-typescript writes inline schemas
# in place, so a list page must use its item type by name; and no class or type in either client
# may carry a generator-made name such as `PageClassItemsItem`.
"$VENV/bin/python" - "$SPEC" "$TS/schema.d.ts" <<'EOF'
import json, re, sys

spec, ts = sys.argv[1], open(sys.argv[2]).read()
pages = [n for n in json.load(open(spec))["components"]["schemas"] if n.startswith("Page_")]
bad = [
    p for p in pages
    if not re.search(rf'\b{p}: {{\s*items: components\["schemas"\]\["{p[5:]}"\]\[\];', ts)
]
if bad:
    sys.exit(f"TypeScript pages without a named item type: {bad}")
print(f"{len(pages)} list pages use their named item type")
EOF
if grep -rEn "^\s*(export )?(class|interface|type) \w*ItemsItem" "$TS" "$PY" >"$OUT/anonymous.txt"; then
    cat "$OUT/anonymous.txt"
    echo "generated clients contain anonymous list item models" >&2
    exit 1
fi
echo "contract: lint clean, TypeScript and Python clients generated with named models"
