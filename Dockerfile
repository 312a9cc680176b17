# Image for Render (render.yaml): built from the same Debian bookworm packages
# ./dev installs, so what CI tests is what runs. One image, every program;
# each Render service picks its command.
#
# Base images are pinned by digest (the multi-platform index digest of the tag
# named beside it), so a rebuild uses exactly the bytes that were tested and a
# re-pushed tag cannot change the image. Taken 2026-02 (Debian 12.13); refresh
# them at least monthly and whenever a Debian point release or security
# update lands, then run ./dev test and commit both lines together:
#   docker buildx imagetools inspect debian:bookworm      # "Digest:" line
#   docker buildx imagetools inspect debian:bookworm-slim
# (or: docker pull debian:bookworm-slim && docker inspect --format \
#   '{{index .RepoDigests 0}}' debian:bookworm-slim). docs/SECURITY.md.
FROM debian:bookworm@sha256:34e7f0ae7c10a61bfbef6e1b2ed205d9b47bb12e90c50696f729a5c7a01cf1f2 AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential meson ninja-build \
      pkg-config git ca-certificates libh2o-dev libhiredis-dev libpq-dev libuv1-dev \
      libcurl4-openssl-dev libssl-dev libjansson-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN meson setup build -Dbuildtype=release -Db_ndebug=false && ninja -C build

FROM debian:bookworm-slim@sha256:98f4b71de414932439ac6ac690d7060df1f27161073c5036a7553723881bffbe
RUN apt-get update \
 && apt-get install -y --no-install-recommends libh2o0.13 libhiredis0.14 libpq5 libuv1 \
      libcurl4 libssl3 libjansson4 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app sentia
COPY --from=build /src/build/api/sentia-api /src/build/worker/sentia-worker \
     /src/build/lib/migrate/sentia-migrate /src/build/queue/sentia-queue \
     /src/build/lib/forecast/sentia-forecast /src/build/lib/auth/sentia-admin /app/bin/
COPY migrations /app/migrations
ENV PATH=/app/bin:$PATH MIGRATIONS_DIR=/app/migrations APP_ENV=production
USER sentia
WORKDIR /app
CMD ["sentia-api"]
