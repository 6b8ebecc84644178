# Multi-stage build: compile in the Rust image, run from a small Debian base as a non-root user.
# SQLite and libpq are compiled in (bundled), so the runtime image needs no database libraries.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY migrations ./migrations
COPY seed ./seed
RUN cargo build --release --locked && strip target/release/securebase

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/securebase --create-home securebase
COPY --from=build /src/target/release/securebase /usr/local/bin/securebase
USER securebase
WORKDIR /var/lib/securebase
ENV BIND_ADDR=0.0.0.0:8080 \
    DATABASE_URL=/var/lib/securebase/securebase.db \
    RUST_LOG=info
EXPOSE 8080
VOLUME ["/var/lib/securebase"]
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
# Other subcommands: docker run --entrypoint securebase IMAGE migrate | create-admin ...
ENTRYPOINT ["securebase", "serve"]
