# syntax=docker/dockerfile:1
# The aggregator image: `shynet` (ingest, dashboard, /healthz) with its migrations, templates,
# static assets, UA regexes and world map compiled into the binary, on a slim Debian base, as a
# non-root user. It needs DATABASE_URL (the embedded-Postgres mode is for single machines).
#
#   docker build -t shynet:0.1.0 .
#   docker run --rm -e DATABASE_URL=postgres://… -p 8080:8080 shynet:0.1.0
#
# Kubernetes runs `shynet migrate` once per release (a Job), then `shynet serve --skip-migrations`.

ARG RUST_VERSION=1.92
ARG DEBIAN_RELEASE=bookworm

FROM rust:${RUST_VERSION}-${DEBIAN_RELEASE} AS build
WORKDIR /src
# Only what the native workspace needs (see .dockerignore): the edge worker is a separate
# wasm32 workspace, deployed to Cloudflare, never part of this image.
COPY Cargo.toml Cargo.lock ./
COPY beacon beacon
COPY aggregator aggregator
COPY dashboard dashboard
COPY migrations migrations
COPY tests tests
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p aggregator --bin shynet \
 && install -D -m 0755 target/release/shynet /out/shynet

FROM debian:${DEBIAN_RELEASE}-slim AS runtime
# A fixed UID/GID so that Kubernetes' runAsUser/runAsNonRoot match (terraform/modules/aggregator).
RUN groupadd --system --gid 10001 shynet \
 && useradd --system --uid 10001 --gid shynet --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin shynet
COPY --from=build /out/shynet /usr/local/bin/shynet
USER 10001:10001
ENV SHYNET_LISTEN=0.0.0.0:8080 \
    SHYNET_LOG=info
EXPOSE 8080
STOPSIGNAL SIGTERM
# No curl in the image: bash's /dev/tcp asks /healthz (200 while Postgres answers) on the
# port of SHYNET_LISTEN.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${SHYNET_LISTEN##*:} && printf 'GET /healthz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["/usr/local/bin/shynet"]
CMD ["serve"]
