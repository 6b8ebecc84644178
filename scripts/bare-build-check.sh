#!/usr/bin/env bash
# Bare-machine build check (issue 16): `cargo build --locked` on a clean Debian that has only
# what rustup itself needs (a C compiler and linker) plus make, and NOT libssl-dev, pkg-config,
# libpq-dev or libsqlite3-dev. The PostgreSQL client keeps TLS: libpq is bundled (pq-src) and built
# against OpenSSL compiled from source by openssl-sys's `vendored` feature (see Cargo.toml).
#
# No Docker engine is needed: a minimal Debian (debootstrap --variant=minbase) is unpacked into a
# directory and the build runs in a chroot there, with the host's Rust toolchain bind-mounted
# read-only and the crates vendored from the host's cargo cache (the chroot has no CARGO_HOME of
# its own and never touches the host's, so it does not contend for the shared cargo lock).
#
# Usage (as root; the first run downloads ~70 MB of Debian packages):
#   bash scripts/bare-build-check.sh                 # debug build, like `cargo build`
#   BARE_PROFILE=release bash scripts/bare-build-check.sh
# Knobs: BARE_WORK (work dir, default /var/tmp/securebase-bare), BARE_SUITE (bookworm),
#   BARE_MIRROR, BARE_TOOLCHAIN (a directory name under ~/.rustup/toolchains),
#   BARE_PACKAGES (what is installed on top of minbase; the point of the check).
# The rootfs is kept between runs (delete $BARE_WORK/rootfs to start over); the target dir inside
# it is wiped each run so every run is a clean build (BARE_KEEP_TARGET=1 keeps it, e.g. to re-run
# after a source error without building the dependencies again).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
WORK=${BARE_WORK:-/var/tmp/securebase-bare}
SUITE=${BARE_SUITE:-bookworm}
MIRROR=${BARE_MIRROR:-http://deb.debian.org/debian}
PROFILE=${BARE_PROFILE:-dev}
RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup}
TOOLCHAIN=${BARE_TOOLCHAIN:-$(ls "$RUSTUP_HOME/toolchains" | grep -m1 '^1\.95\.0-x86_64-unknown-linux-gnu$' || true)}
# gcc + libc6-dev: the C compiler and linker rustup asks for (rustc links through `cc`).
# make: OpenSSL's build (openssl-src runs its Configure script and then make).
# perl: minbase already has perl-base; OpenSSL's Configure needs a few modules beyond it
# (FindBin, IPC::Cmd: with perl-base alone it stops with "Can't locate FindBin.pm"), so the full
# perl package is listed.
PACKAGES=${BARE_PACKAGES:-gcc libc6-dev make perl}
ROOT=$WORK/rootfs

[ "$(id -u)" = 0 ] || { echo "run as root (debootstrap, chroot, mount)" >&2; exit 2; }
[ -n "$TOOLCHAIN" ] && [ -x "$RUSTUP_HOME/toolchains/$TOOLCHAIN/bin/cargo" ] \
    || { echo "no toolchain $RUSTUP_HOME/toolchains/$TOOLCHAIN (set BARE_TOOLCHAIN)" >&2; exit 2; }
command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >/dev/null

mkdir -p "$WORK"
MOUNTS=()
cleanup() {
    local i
    for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do umount -l "${MOUNTS[i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
bind() { # bind SRC DST [ro]
    mkdir -p "$2"
    mount --bind "$1" "$2"
    MOUNTS+=("$2")
    if [ "${3:-}" = ro ]; then mount -o remount,bind,ro "$2"; fi
}

# 1. A minimal Debian: essential packages + apt, nothing else (no compiler, no libssl).
if [ ! -e "$ROOT/etc/debian_version" ]; then
    echo "== debootstrap --variant=minbase $SUITE"
    debootstrap --variant=minbase "$SUITE" "$ROOT" "$MIRROR" >"$WORK/debootstrap.log"
fi
mount -t proc proc "$ROOT/proc"; MOUNTS+=("$ROOT/proc")
bind /dev "$ROOT/dev"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"

# 2. The prerequisites, and only those (--no-install-recommends).
echo "== apt-get install $PACKAGES"
chroot "$ROOT" apt-get update -qq
# shellcheck disable=SC2086
chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null

# 3. What must NOT be there: OpenSSL, PostgreSQL and SQLite development files, pkg-config.
for pkg in libssl-dev libpq-dev libsqlite3-dev pkg-config pkgconf; do
    if chroot "$ROOT" dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed'; then
        echo "FAIL: $pkg is installed in the rootfs; this check needs a bare machine" >&2; exit 1
    fi
done
if [ -e "$ROOT/usr/include/openssl" ] || chroot "$ROOT" sh -c 'command -v pkg-config' >/dev/null; then
    echo "FAIL: OpenSSL headers or pkg-config present" >&2; exit 1
fi
echo "   installed: $(chroot "$ROOT" dpkg-query -W -f='${binary:Package} ' gcc libc6-dev make perl perl-base 2>/dev/null)"
echo "   absent:    libssl-dev libpq-dev libsqlite3-dev pkg-config (and /usr/include/openssl)"

# 4. Sources: the working tree without target/ and .git; crates vendored from the host's cache.
echo "== copy the source tree and vendor the crates"
rm -rf "$ROOT/build/src" "$ROOT/build/cargo-home"
[ "${BARE_KEEP_TARGET:-0}" = 1 ] || rm -rf "$ROOT/build/target"
mkdir -p "$ROOT/build/src" "$ROOT/build/cargo-home" "$WORK/vendor"
tar -C "$REPO" --exclude=./target --exclude=./.git -cf - . | tar -C "$ROOT/build/src" -xf -
(cd "$REPO" && cargo vendor --quiet --locked --offline --versioned-dirs "$WORK/vendor" >/dev/null)
cat >"$ROOT/build/cargo-home/config.toml" <<'EOF'
[source.crates-io]
replace-with = "vendored-sources"
[source.vendored-sources]
directory = "/build/vendor"
EOF
bind "$WORK/vendor" "$ROOT/build/vendor" ro
bind "$RUSTUP_HOME/toolchains/$TOOLCHAIN" "$ROOT/opt/rust" ro

# 5. The build, in a clean environment (no host variables leak in), timed.
echo "== cargo build --locked (profile $PROFILE) in the chroot"
PROFILE_FLAG=""; OUT=debug
if [ "$PROFILE" = release ]; then PROFILE_FLAG=--release; OUT=release; fi
start=$(date +%s)
set +e
chroot "$ROOT" /usr/bin/env -i PATH=/opt/rust/bin:/usr/bin:/bin HOME=/root \
    CARGO_HOME=/build/cargo-home CARGO_TARGET_DIR=/build/target \
    bash -c "cd /build/src && cargo build --locked --offline $PROFILE_FLAG" 2>&1 | tee "$WORK/build.log" | grep -E '^error|Finished|Compiling openssl-src'
status=${PIPESTATUS[0]}
set -e
end=$(date +%s)
BIN=$ROOT/build/target/$OUT/securebase
if [ "$status" != 0 ] || [ ! -x "$BIN" ]; then
    echo "FAIL: build failed after $((end - start)) s; see $WORK/build.log" >&2
    tail -40 "$WORK/build.log" >&2
    exit 1
fi

# 6. What the binary links, and proof that libpq was built with OpenSSL.
echo "== result"
echo "   build time: $((end - start)) s; binary $(du -h "$BIN" | cut -f1)"
echo "   dynamic libraries:"; chroot "$ROOT" ldd "/build/target/$OUT/securebase" | sed 's/^/     /'
if grep -aqE 'OpenSSL 3\.[0-9]+\.[0-9]+' "$BIN" && grep -aq 'SSL SYSCALL error' "$BIN"; then
    echo "   TLS: libpq's OpenSSL code and OpenSSL $(grep -aoE 'OpenSSL 3\.[0-9]+\.[0-9]+' "$BIN" | head -1 | cut -d' ' -f2) are linked in"
else
    echo "FAIL: libpq was built without OpenSSL" >&2; exit 1
fi
chroot "$ROOT" "/build/target/$OUT/securebase" --version
echo "OK: bare-machine build passed"
