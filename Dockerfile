# syntax=docker/dockerfile:1.7
#
# One build of the `bilten` binary, four runtime images (one per role):
#
#   docker build --target backend  -t bilten/backend:TAG  .
#   docker build --target frontend -t bilten/frontend:TAG .
#   docker build --target gateway  -t bilten/gateway:TAG  .
#   docker build --target scanner  -t bilten/scanner:TAG  .
#
# All four share every layer up to `runtime`; only CMD, PORT and EXPOSE differ,
# so building all four costs one compile. `bilten/backend` also runs the
# migration job (`bilten migrate`) and `bilten admin create`.
# No secret is baked in: configuration comes from the environment at run time.

# Base images. Pin them by digest for a release: pass the `…@sha256:<digest>`
# form (look it up where the registry is reachable, e.g. `docker buildx
# imagetools inspect rust:1.95.0-slim-trixie` / `crane digest …`) as
#   --build-arg RUST_IMAGE=rust:1.95.0-slim-trixie@sha256:<digest>
#   --build-arg RUNTIME_IMAGE=gcr.io/distroless/cc-debian13@sha256:<digest>
# The defaults below are tags (moving): no digest is written here that was not
# looked up (docs/OPERATIONS.md, "Images"). Builder and runtime must share a
# Debian release (trixie = debian13): the binary links against the builder's glibc.
ARG RUST_IMAGE=rust:1.95.0-slim-trixie
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian13

# ---------------------------------------------------------------- toolchain --
# hadolint ignore=DL3006
FROM ${RUST_IMAGE} AS chef
ARG CARGO_CHEF_VERSION=0.1.78
RUN cargo install cargo-chef --locked --version "${CARGO_CHEF_VERSION}" \
    && rm -rf "${CARGO_HOME}/registry"
WORKDIR /src

# ------------------------------------------------ dependency recipe (cheap) --
# The recipe only changes when Cargo.toml/Cargo.lock change, so the expensive
# dependency layer below is reused across source-only commits.
FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

# ------------------------------------------------------------------ builder --
FROM chef AS builder
# sqlx macros (if used) must not need a live database inside the build.
ENV SQLX_OFFLINE=true \
    CARGO_TERM_COLOR=never
# tini (statically linked) is copied into the runtime image, which has no
# package manager.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/*
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --release --locked --package bilten --recipe-path recipe.json
COPY . .
# Stripped of debug info (150 MB -> ~30 MB): `strip --strip-debug` is what
# `strip = "debuginfo"` in [profile.release] does, so this stays right (and
# becomes a no-op) once the profile strips by itself.
RUN cargo build --release --locked -p bilten \
    && install -D -m 0755 target/release/bilten /out/bilten \
    && strip --strip-debug /out/bilten \
    && install -D -m 0755 /usr/bin/tini-static /out/tini \
    && install -d -m 0750 /out/data

# ------------------------------------------------------------------ runtime --
# Distroless "cc": glibc, libgcc, CA certificates (TLS to Stripe, SMTP,
# Sentry), tzdata — no shell, no package manager, no curl. The healthcheck is
# the binary itself: `bilten healthcheck` exits 0 when GET /health/live on
# 127.0.0.1:$PORT answers 200 within 2 s.
# hadolint ignore=DL3006
FROM ${RUNTIME_IMAGE} AS runtime
COPY --from=builder /out/tini /usr/bin/tini
COPY --from=builder /out/bilten /usr/local/bin/bilten
COPY --from=builder --chown=10001:10001 /out/data /var/lib/bilten
ENV APP_ENV=production \
    BIND_HOST=0.0.0.0 \
    BILTEN_DATA_DIR=/var/lib/bilten
WORKDIR /var/lib/bilten
USER 10001:10001
STOPSIGNAL SIGTERM
# tini reaps zombies and forwards SIGTERM so graceful shutdown works as PID 1.
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/bilten"]
CMD ["serve"]
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/bilten", "healthcheck"]

# -------------------------------------------------------------- role images --
FROM runtime AS backend
ENV PORT=3001
EXPOSE 3001
CMD ["backend"]

FROM runtime AS scanner
ENV PORT=3002
EXPOSE 3002
CMD ["scanner"]

FROM runtime AS gateway
ENV PORT=8080
EXPOSE 8080
CMD ["gateway"]

# The frontend's "port 80 in containers" is served on 8000 inside the
# container and mapped to 80 by the Service / load balancer / compose. A
# non-root process cannot bind <1024 without CAP_NET_BIND_SERVICE, and file
# capabilities are ignored under no_new_privs (allowPrivilegeEscalation:false,
# which every manifest here sets), so a high port is the only variant that
# works with the hardened pod security settings.
FROM runtime AS frontend
ENV PORT=8000
EXPOSE 8000
CMD ["frontend"]
