# Image for Render (render.yaml): built from the same Debian bookworm packages
# ./dev installs, so what CI tests is what runs. One image, every program;
# each Render service picks its command.
FROM debian:bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential meson ninja-build \
      pkg-config git ca-certificates libh2o-dev libhiredis-dev libpq-dev libuv1-dev \
      libcurl4-openssl-dev libssl-dev libjansson-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN meson setup build -Dbuildtype=release -Db_ndebug=false && ninja -C build

FROM debian:bookworm-slim
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
