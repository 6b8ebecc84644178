# Multi-stage build: compile in the Rust image, run from a small Debian base as a non-root user.
# SQLite, libpq and OpenSSL are compiled in (bundled/vendored, see Cargo.toml), so the runtime
# image needs no database or TLS libraries: the binary links only libc, libm and libgcc_s.
#
# Base images are pinned to versions: rust 1.95 (Cargo.toml's rust-version) on Debian 12, and a
# dated Debian 12 slim snapshot. No digests: they were not verifiable from the machine this was
# written on (no registry access); pin `@sha256:...` after `docker pull` + `docker inspect` if
# your policy wants them. scripts/docker-check.sh overrides both ARGs with local images when the
# registry is unreachable.
ARG RUST_IMAGE=rust:1.95-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-20251229-slim

FROM ${RUST_IMAGE} AS build
WORKDIR /src
# 1. Dependencies only, in their own layer: the manifest, the lockfile and stub targets (Cargo
#    must find every target the manifest names, including the [[bench]]). This layer is rebuilt
#    only when Cargo.toml or Cargo.lock change; a source change rebuilds only the crate itself.
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src benches \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs \
    && echo 'fn main() {}' > benches/mentoring_matching.rs \
    && cargo build --release --locked --bin securebase \
    && rm -rf src benches target/release/securebase* \
        target/release/.fingerprint/securebase-* target/release/deps/securebase-* \
        target/release/deps/libsecurebase-*
# 2. The crate. Everything Cargo or include_str!/embed_migrations! reads must be copied here
#    (tests/ci/dockerfile-paths.sh checks it in CI).
COPY src ./src
COPY benches ./benches
COPY migrations ./migrations
COPY seed ./seed
COPY templates ./templates
COPY static ./static
RUN cargo build --release --locked --bin securebase && strip target/release/securebase

FROM ${RUNTIME_IMAGE}
# What the binary needs at run time, explicitly: libc6 (libc, libm) and libgcc-s1 (unwinding)
# are what it links (`ldd securebase`); ca-certificates for PostgreSQL TLS with
# sslrootcert=system (see SSL_CERT_FILE below); curl for the HEALTHCHECK (the binary has no
# health-check subcommand).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libc6 libgcc-s1 ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/securebase --create-home securebase
COPY --from=build /src/target/release/securebase /usr/local/bin/securebase
USER securebase
WORKDIR /var/lib/securebase
# The vendored OpenSSL looks for CA certificates under /usr/local/ssl; point it at Debian's.
ENV BIND_ADDR=0.0.0.0:8080 \
    DATABASE_URL=/var/lib/securebase/securebase.db \
    RUST_LOG=info \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    SSL_CERT_DIR=/etc/ssl/certs
EXPOSE 8080
VOLUME ["/var/lib/securebase"]
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
# Other subcommands: docker run --rm --entrypoint securebase IMAGE migrate | create-admin ...
ENTRYPOINT ["securebase", "serve"]
