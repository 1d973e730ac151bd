# hackcoach container image. Build: docker build -t hackcoach .
#
# Layout of the running image (tests/dockerfile.rs recreates it and starts the binary in it):
#   /usr/local/bin/hackcoach   the binary
#   /app                       working directory
#   /app/config.toml           the image's config (deploy/config.toml): relative paths only
#   /app/guide/                the guide, playbooks and lookup vocabulary
#   /app/data/                 volume: hackcoach.db and kubeconfig.key (created on first start)
# Secrets are never baked in: DISCORD_TOKEN (and HACKCOACH_KEY, if used) come from the
# environment at run time.

FROM rust:1-slim-bookworm AS build
WORKDIR /src
# Everything the build reads: the manifest declares bench targets (benches/), build.rs
# watches migrations/ (embedded by sqlx::migrate!), and guide/lookup.toml is include_str!'d.
COPY Cargo.toml Cargo.lock build.rs ./
COPY src ./src
COPY migrations ./migrations
COPY benches ./benches
COPY guide ./guide
RUN cargo build --release --locked --bin hackcoach

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 hackcoach \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin hackcoach \
    && mkdir -p /app/data \
    && chown 10001:10001 /app/data \
    && chmod 0700 /app/data
COPY --from=build /src/target/release/hackcoach /usr/local/bin/hackcoach
WORKDIR /app
COPY guide ./guide
COPY deploy/config.toml ./config.toml
VOLUME ["/app/data"]
# Numeric, so Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["hackcoach", "--config", "config.toml", "health"]
ENTRYPOINT ["hackcoach", "--config", "config.toml"]
CMD ["run"]
