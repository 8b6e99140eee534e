# One image for every shape: `scanpage serve` runs all five services (all-in-one); `--service X`
# or SERVICE=X runs one of them (split mode, see compose.yaml).
#
# Stages: cargo-chef plans the dependency graph, the dependencies are built in a layer of their
# own (rebuilt only when Cargo.toml/Cargo.lock change), then the workspace; the runtime is Debian
# slim with the binary, CA certificates (TLS to PostgreSQL, Redis and SMTP) and a non-root user.

ARG RUST_VERSION=1.94

FROM rust:${RUST_VERSION}-slim-bookworm AS chef
RUN cargo install cargo-chef --locked --version ^0.1
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --release --locked -p web --recipe-path recipe.json
COPY . .
RUN cargo build --release --locked -p web --bin scanpage \
    && install -m 0755 target/release/scanpage /usr/local/bin/scanpage

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 scanpage \
    && useradd --system --uid 10001 --gid scanpage --home-dir /data --shell /usr/sbin/nologin scanpage \
    && mkdir -p /data \
    && chown scanpage:scanpage /data
COPY --from=builder /usr/local/bin/scanpage /usr/local/bin/scanpage
COPY deploy/docker-entrypoint.sh /usr/local/bin/docker-entrypoint
# In a container the server must listen on every interface; platforms inject PORT.
ENV HOST=0.0.0.0 \
    SCANPAGE_DATA=/data \
    LOG_FORMAT=json
# No VOLUME instruction: Railway refuses images that declare one. Attach the platform's volume
# or disk at /data (README, "Deploy"); without one the server says at start and in /readyz that
# its files will not survive a deploy. The entrypoint starts as root only to hand a root-owned
# volume to the scanpage user, then runs the server as that user.
EXPOSE 3000
# `scanpage health` asks this container's own port (PORT, or the service's default port) for
# /healthz: no curl in the image.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["scanpage", "health"]
ENTRYPOINT ["docker-entrypoint"]
CMD ["serve"]
