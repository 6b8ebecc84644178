#!/usr/bin/env bash
# Every file Cargo needs to build the crate must be COPY'd into the Dockerfile's build stage
# (and not excluded by .dockerignore), or `docker build` fails where `cargo build` passes, as it
# did when benches/ was missing ("can't find bench"). Cheap: no Docker, no build.
#
# Needed paths: Cargo.toml and Cargo.lock; the `path`/`build` entries of Cargo.toml and the
# targets Cargo infers ([[bench]]/[[bin]]/[[test]]/[[example]] without a path, build.rs); the
# literal targets of include_str!/include_bytes! (relative to the source file) and of
# embed_migrations! (relative to the crate root) in src/.
set -euo pipefail
cd "$(dirname "$0")/../.."

needed=(Cargo.toml Cargo.lock)

# Explicit paths in the manifest: path = "..." (targets) and build = "..." (build script).
while IFS= read -r p; do needed+=("$p"); done < <(
    sed -nE 's/^[[:space:]]*(path|build)[[:space:]]*=[[:space:]]*"([^"]+)".*/\2/p' Cargo.toml)
[ -f build.rs ] && needed+=(build.rs)

# Targets without a path: Cargo infers <dir>/<name>.rs or <dir>/<name>/main.rs.
section="" name="" has_path=0
flush() {
    local dir=""
    case "$section" in
        bench) dir=benches ;; bin) dir=src/bin ;; test) dir=tests ;; example) dir=examples ;;
    esac
    if [ -n "$dir" ] && [ -n "$name" ] && [ "$has_path" = 0 ]; then
        if [ -f "$dir/$name/main.rs" ]; then needed+=("$dir/$name"); else needed+=("$dir/$name.rs"); fi
    fi
}
while IFS= read -r line; do
    if [[ $line =~ ^\[\[([a-z]+)\]\] ]] || [[ $line =~ ^\[ ]]; then
        flush
        section=${BASH_REMATCH[1]:-} name="" has_path=0
        [[ $line =~ ^\[\[ ]] || section=""
    elif [[ $line =~ ^[[:space:]]*name[[:space:]]*=[[:space:]]*\"([^\"]+)\" ]]; then
        name=${BASH_REMATCH[1]}
    elif [[ $line =~ ^[[:space:]]*path[[:space:]]*= ]]; then
        has_path=1
    fi
done < Cargo.toml
flush
# The [[bin]] named like the package defaults to src/main.rs, which the loop above would get
# wrong only without a path; this crate gives one.

# include_str!/include_bytes! relative to the including file; embed_migrations! to the crate.
while IFS=: read -r file rel; do
    needed+=("$(realpath -m --relative-to=. "$(dirname "$file")/$rel")")
done < <(grep -rhoE --include='*.rs' -H 'include_(str|bytes)!\("[^"]+"\)' src \
    | sed -E 's/^([^:]+):include_(str|bytes)!\("([^"]+)"\)$/\1:\3/')
while IFS= read -r p; do needed+=("$p"); done < <(
    grep -rhoE --include='*.rs' 'embed_migrations!\("[^"]+"\)' src | sed -E 's/.*\("([^"]+)"\)/\1/')

# askama compiles the pages' templates from templates/ (its default directory) into the binary.
if grep -qE '^askama[[:space:]]*=' Cargo.toml; then needed+=(templates); fi

# Sources of COPY/ADD in the Dockerfile, except COPY --from (those come from another stage).
copied=()
while IFS= read -r line; do
    # shellcheck disable=SC2206
    words=($line)
    args=()
    for w in "${words[@]:1}"; do [[ $w == --* ]] || args+=("$w"); done
    [ "${#args[@]}" -ge 2 ] || continue
    for src in "${args[@]:0:${#args[@]}-1}"; do copied+=("${src#./}"); done
done < <(grep -E '^(COPY|ADD)[[:space:]]' Dockerfile | grep -v -- '--from=')

ignored=()
if [ -f .dockerignore ]; then
    while IFS= read -r pat; do
        pat=${pat%/}; pat=${pat#./}
        [ -n "$pat" ] && [[ $pat != \#* ]] && ignored+=("$pat")
    done < .dockerignore
fi

fail=0
for p in $(printf '%s\n' "${needed[@]}" | sort -u); do
    if [ ! -e "$p" ]; then
        echo "dockerfile-paths: $p is needed by the build but does not exist" >&2; fail=1; continue
    fi
    ok=0
    for c in "${copied[@]}"; do
        c=${c%/}
        if [ "$c" = . ] || [ "$p" = "$c" ] || [[ $p == "$c"/* ]]; then ok=1; break; fi
    done
    [ "$ok" = 1 ] || { echo "dockerfile-paths: $p is needed by cargo build but not COPY'd by the Dockerfile" >&2; fail=1; }
    for pat in "${ignored[@]}"; do
        # shellcheck disable=SC2053
        if [[ $p == $pat ]] || [[ $p == $pat/* ]]; then
            echo "dockerfile-paths: $p is needed by cargo build but excluded by .dockerignore ($pat)" >&2; fail=1
        fi
    done
done
[ "$fail" = 0 ] && echo "dockerfile-paths: $(printf '%s\n' "${needed[@]}" | sort -u | wc -l) paths needed by cargo build, all COPY'd"
exit "$fail"
