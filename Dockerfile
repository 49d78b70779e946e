# Portvakt's container image: `docker build -t portvakt .` (or `podman build`), then see compose.yaml.
#
# The project pins Node.js 24 as the devDependency `node@24`, which `npm ci --omit=dev` leaves out,
# so both stages start from an image that has Node 24: the official `node:24-bookworm-slim`
# (Debian 12, as the tests run on) unless NODE_IMAGE names another, such as a mirror of it.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the postinstall (scripts/ensure-native.sh) checks the pinned devDependency
# node, which is not installed here. better-sqlite3 and @node-rs/argon2 carry prebuilt binaries,
# so nothing is compiled; the line after proves the SQLite addon loads on this Node.
RUN npm ci --omit=dev --ignore-scripts \
 && node -e "new (require('better-sqlite3'))(':memory:').close()" \
 && npm cache clean --force

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    PORTVAKT_DATA_DIR=/data
WORKDIR /app
# Code and dependencies belong to root and are only read: the server writes nothing but /data
# (the SQLite database when DATABASE_URL is not set) and the temporary directory, so the
# container runs with a read-only root filesystem (compose.yaml: read_only, /tmp a tmpfs).
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
RUN mkdir /data && chown node:node /data
VOLUME /data
# The official Node images' unprivileged user (uid 1000).
USER node
EXPOSE 3000
# /readyz answers 200 while the database answers and 503 while the node drains after SIGTERM.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/readyz`).then((answer) => process.exit(answer.ok ? 0 : 1), () => process.exit(1))"]
# Node is process 1 and handles SIGTERM itself: /readyz turns 503 for SHUTDOWN_GRACE_SECONDS while
# requests are still served, then the port closes and the process exits 0 (src/cli.ts, serve).
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "src/cli.ts"]
CMD ["start"]
