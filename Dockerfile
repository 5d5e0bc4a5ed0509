# syntax=docker/dockerfile:1
# Multi-stage: dependencies are installed in a build stage; the runtime image carries
# Node 24, the Debian packages of deploy/debian-packages.txt, the pinned node_modules and the source
# (Node 24 runs the TypeScript directly), and runs as a non-root user.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim AS runtime
# The Debian packages of roles `run` and `image` in the one list scripts/setup.sh and CI read.
COPY deploy/debian-packages.txt /tmp/debian-packages.txt
RUN apt-get update \
  && apt-get install -y --no-install-recommends \
    $(awk '!/^#/ && ($2 == "run" || $2 == "image") { print $1 }' /tmp/debian-packages.txt) \
  && rm -rf /var/lib/apt/lists/* /tmp/debian-packages.txt
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/data STORAGE_ROOT=/data/storage
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
RUN useradd --system --uid 10001 --home /data media \
  && mkdir -p /data/storage && chown -R media /data
USER media
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "fetch('http://127.0.0.1:3000/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["/usr/bin/tini", "--", "node", "src/main/cli.ts"]
CMD ["api"]
