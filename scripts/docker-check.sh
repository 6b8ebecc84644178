#!/usr/bin/env bash
# Docker image check (issue 16): build the image as the README documents, start it with the demo
# district, wait for its HEALTHCHECK, sign in as a demo user, run `migrate` and `create-admin` the
# way the README shows, stop it, and report the image size and build times.
#
# Needs a running Docker engine. When the public registry is unreachable (air-gapped machines,
# sandboxes), the two base images are replaced by local ones built from a debootstrap'd Debian
# 12 rootfs via `docker import`:
#   - the runtime base: Debian 12 minbase, made slim like the official image (instead of
#     debian:bookworm-YYYYMMDD-slim);
#   - the Rust image: the same rootfs + gcc, libc6-dev, make, perl, ca-certificates, git and the
#     host's Rust 1.95 toolchain (instead of rust:1.95-bookworm, which is Debian 12 +
#     buildpack-deps + rustup's 1.95 toolchain).
# The Dockerfile is built unchanged; only its RUST_IMAGE/RUNTIME_IMAGE build args point at the
# local images. crates.io must be reachable from the build (the dependency layer fetches crates).
#
# Usage (as root or a docker group member):  bash scripts/docker-check.sh
# Knobs: IMAGE (securebase:check), PORT (18080), DOCKER_CHECK_WORK (/var/tmp/securebase-docker),
#   DOCKER_CHECK_LOCAL_BASE=1 (always use local base images), DOCKER_CHECK_REBUILD=0 (skip the
#   source-change rebuild that shows the dependency layer is reused).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
IMAGE=${IMAGE:-securebase:check}
PORT=${PORT:-18080}
WORK=${DOCKER_CHECK_WORK:-/var/tmp/securebase-docker}
REBUILD=${DOCKER_CHECK_REBUILD:-1}
RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup}
TOOLCHAIN=${DOCKER_CHECK_TOOLCHAIN:-1.95.0-x86_64-unknown-linux-gnu}
NAME=securebase-check-$$
VOLUME=securebase-check-$$
DEMO_USER=samuel.ortega
DEMO_PASSWORD=GrowTogether-2026

command -v jq >/dev/null || { echo "needs jq (apt-get install jq)" >&2; exit 2; }
docker info >/dev/null 2>&1 || { echo "no Docker engine answers (docker info failed)" >&2; exit 2; }
mkdir -p "$WORK"

# The defaults pinned in the Dockerfile.
RUST_IMAGE=$(sed -n 's/^ARG RUST_IMAGE=//p' "$REPO/Dockerfile")
RUNTIME_IMAGE=$(sed -n 's/^ARG RUNTIME_IMAGE=//p' "$REPO/Dockerfile")

cleanup() {
    docker rm -f "$NAME" >/dev/null 2>&1 || true
    docker volume rm -f "$VOLUME" >/dev/null 2>&1 || true
    rm -rf "$WORK/context"
}
trap cleanup EXIT

have_or_pull() { docker image inspect "$1" >/dev/null 2>&1 || timeout 120 docker pull -q "$1" >/dev/null 2>&1; }

BUILD_ARGS=()
if [ "${DOCKER_CHECK_LOCAL_BASE:-0}" = 1 ] || ! have_or_pull "$RUNTIME_IMAGE" || ! have_or_pull "$RUST_IMAGE"; then
    echo "== registry unreachable (or DOCKER_CHECK_LOCAL_BASE=1): local base images from debootstrap"
    [ "$(id -u)" = 0 ] || { echo "building local base images needs root (debootstrap, chroot)" >&2; exit 2; }
    command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >/dev/null
    LOCAL_RUNTIME=securebase-local/debian:bookworm-slim
    LOCAL_RUST=securebase-local/rust:1.95-bookworm
    if ! docker image inspect "$LOCAL_RUNTIME" >/dev/null 2>&1; then
        if [ ! -s "$WORK/bookworm-minbase.tar" ]; then
            rm -rf "$WORK/minbase"
            debootstrap --variant=minbase bookworm "$WORK/minbase" http://deb.debian.org/debian >"$WORK/debootstrap.log"
            tar -C "$WORK/minbase" -cf "$WORK/bookworm-minbase.tar" .
            rm -rf "$WORK/minbase"
        fi
        # Made "slim" the way the official debian:*-slim images are (debuerreotype): no docs, man
        # pages or locales, and apt keeps no package cache, so image sizes compare.
        S=$WORK/slim-rootfs
        rm -rf "$S" && mkdir -p "$S" && tar -C "$S" -xf "$WORK/bookworm-minbase.tar"
        printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
            'path-exclude /usr/share/man/*' 'path-exclude /usr/share/groff/*' \
            'path-exclude /usr/share/info/*' 'path-exclude /usr/share/lintian/*' \
            'path-exclude /usr/share/linda/*' 'path-exclude /usr/share/locale/*' \
            >"$S/etc/dpkg/dpkg.cfg.d/docker"
        cat >"$S/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
        find "$S/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
        rm -rf "$S/usr/share/man"/* "$S/usr/share/info"/* "$S/usr/share/locale"/* \
            "$S/var/cache/apt"/*.bin "$S/var/cache/apt/archives"/*.deb "$S/var/lib/apt/lists"/*
        tar -C "$S" -cf - . | docker import - "$LOCAL_RUNTIME" >/dev/null
        rm -rf "$S"
    fi
    if ! docker image inspect "$LOCAL_RUST" >/dev/null 2>&1; then
        [ -x "$RUSTUP_HOME/toolchains/$TOOLCHAIN/bin/cargo" ] || { echo "no toolchain $TOOLCHAIN" >&2; exit 2; }
        R=$WORK/rust-rootfs
        rm -rf "$R" && mkdir -p "$R"
        tar -C "$R" -xf "$WORK/bookworm-minbase.tar"
        cp /etc/resolv.conf "$R/etc/resolv.conf"
        mount -t proc proc "$R/proc"
        chroot "$R" apt-get update -qq
        chroot "$R" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            gcc libc6-dev make perl ca-certificates git >/dev/null || { umount "$R/proc"; exit 1; }
        # CAs the host added locally (e.g. a TLS-intercepting egress proxy's): without them cargo
        # in the build cannot fetch crates through such a network. Public certificates only.
        if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
            cp /usr/local/share/ca-certificates/*.crt "$R/usr/local/share/ca-certificates/"
            chroot "$R" update-ca-certificates >/dev/null
        fi
        chroot "$R" apt-get clean
        umount "$R/proc"
        rm -rf "$R/var/lib/apt/lists"/*
        mkdir -p "$R/usr/local/rust" "$R/usr/local/cargo"
        # The toolchain without its HTML docs (rust-docs is half of it).
        tar -C "$RUSTUP_HOME/toolchains/$TOOLCHAIN/" --exclude=./share/doc -chf - . | tar -C "$R/usr/local/rust" -xf -
        tar -C "$R" -cf - . | docker import \
            -c 'ENV PATH=/usr/local/cargo/bin:/usr/local/rust/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
            -c 'ENV CARGO_HOME=/usr/local/cargo' - "$LOCAL_RUST" >/dev/null
        rm -rf "$R"
    fi
    BUILD_ARGS=(--build-arg "RUST_IMAGE=$LOCAL_RUST" --build-arg "RUNTIME_IMAGE=$LOCAL_RUNTIME")
    echo "   RUST_IMAGE=$LOCAL_RUST (for $RUST_IMAGE), RUNTIME_IMAGE=$LOCAL_RUNTIME (for $RUNTIME_IMAGE)"
fi

# 1. Build, as the README says (`docker build -t securebase .`), timed. From a snapshot of the
#    working tree, so that edits made meanwhile do not change what the rebuild below compares.
echo "== docker build -t $IMAGE ."
rm -rf "$WORK/context" && mkdir -p "$WORK/context"
tar -C "$REPO" --exclude=./target --exclude=./.git -cf - . | tar -C "$WORK/context" -xf -
start=$(date +%s)
docker build "${BUILD_ARGS[@]}" -t "$IMAGE" "$WORK/context" >"$WORK/build.log" 2>&1 \
    || { tail -40 "$WORK/build.log" >&2; echo "FAIL: docker build" >&2; exit 1; }
build_secs=$(( $(date +%s) - start ))
size=$(docker image inspect -f '{{.Size}}' "$IMAGE")

# 2. A source change: only the crate is rebuilt (the dependency layer comes from the cache).
rebuild_secs=skipped
if [ "$REBUILD" = 1 ]; then
    echo "== rebuild after a source change"
    echo "// docker-check: source change $(date +%s)" >>"$WORK/context/src/lib.rs"
    start=$(date +%s)
    docker build "${BUILD_ARGS[@]}" -t "$IMAGE-rebuild" "$WORK/context" >"$WORK/rebuild.log" 2>&1 \
        || { tail -40 "$WORK/rebuild.log" >&2; echo "FAIL: rebuild" >&2; exit 1; }
    rebuild_secs=$(( $(date +%s) - start ))
    grep -q 'Compiling actix-web\|Compiling diesel ' "$WORK/rebuild.log" \
        && { echo "FAIL: the rebuild compiled dependencies again" >&2; exit 1; }
    docker image rm "$IMAGE-rebuild" >/dev/null
fi

# 3. Run the demo, wait for the container's own HEALTHCHECK to report healthy.
echo "== docker run (demo) and health check"
docker run -d --name "$NAME" -p "127.0.0.1:$PORT:8080" -v "$VOLUME:/var/lib/securebase" "$IMAGE" --demo >/dev/null
status=starting
for _ in $(seq 1 90); do
    status=$(docker inspect -f '{{.State.Health.Status}}' "$NAME")
    [ "$status" = healthy ] && break
    [ "$(docker inspect -f '{{.State.Running}}' "$NAME")" = true ] || break
    sleep 1
done
if [ "$status" != healthy ]; then
    docker logs "$NAME" 2>&1 | tail -20 >&2
    echo "FAIL: container health is '$status'" >&2; exit 1
fi
curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null

# 4. Demo login (README "Demo logins").
echo "== POST /api/v1/auth/login as $DEMO_USER"
token=$(curl -fsS -X POST "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"$DEMO_USER\",\"password\":\"$DEMO_PASSWORD\"}" | jq -r .access_token)
[ -n "$token" ] && [ "$token" != null ] || { echo "FAIL: no access token" >&2; exit 1; }
classes=$(curl -fsS "http://127.0.0.1:$PORT/api/v1/classes" -H "authorization: Bearer $token" | jq .total)
echo "   signed in; $DEMO_USER sees $classes classes"

# 5. Stop, then the README's one-off commands on the same volume: migrate and create-admin.
docker stop "$NAME" >/dev/null
echo "== migrate and create-admin in the container"
docker run --rm -v "$VOLUME:/var/lib/securebase" --entrypoint securebase "$IMAGE" migrate
printf 'Check-Password-%s\n' "$$" | docker run --rm -i -v "$VOLUME:/var/lib/securebase" \
    --entrypoint securebase "$IMAGE" create-admin --district "Docker Check USD" \
    --username docker.check.admin --given-name Docker --family-name Check

echo "== result"
echo "   image $IMAGE: $((size / 1000000)) MB; build ${build_secs} s (cold or as cached); rebuild after a source change: ${rebuild_secs} s"
echo "   base images: ${BUILD_ARGS[*]:-$RUST_IMAGE, $RUNTIME_IMAGE}"
echo "OK: docker check passed"
