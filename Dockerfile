# tripo-mock: a local emulator of the Tripo 3D API.
#   docker build -t tripo-mock .
#   docker run -p 8080:8080 tripo-mock                        (any flag after the image name: --clock manual, --help)
#   docker run -v ./my-scenarios:/scenarios:ro tripo-mock validate /scenarios
# Configure it with TRIPO_MOCK_* variables or flags (see the README's configuration table).

# Build: compile and bundle TypeScript with the dev dependencies.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No scripts: `prepare` would build before the sources are here; the build is two steps below.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts/build-state.js scripts/bundle.ts ./scripts/
RUN npm run build

# Run: the two bundles (they carry every dependency), the docs pages' files, the dashboard, fixtures,
# built-in scenarios, prepared states and package.json (name, version, ES modules). No
# node_modules, no compiler, no curl.
FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    TRIPO_MOCK_HOST=0.0.0.0 \
    TRIPO_MOCK_PORT=8080
WORKDIR /app
COPY package.json ./
COPY --from=build /app/dist/server.js /app/dist/healthcheck.js ./dist/
COPY --from=build /app/dist/swagger-ui ./dist/swagger-ui
COPY --from=build /app/dist/ui ./dist/ui
COPY fixtures ./fixtures
COPY scenarios ./scenarios
COPY states ./states
# Where a Compose volume keeps the state across restarts (TRIPO_MOCK_IMPORT, TRIPO_MOCK_EXPORT_ON_EXIT):
# a named volume mounted here takes this folder's owner, so the node user can write it.
RUN mkdir /data && chown node:node /data
USER node
EXPOSE 8080
# Node itself probes /__mock/ready on the configured port and host (TRIPO_MOCK_PORT, TRIPO_MOCK_HOST
# or the TRIPO_MOCK_CONFIG file). The server is ready in well under a second: during the start
# period it is probed every 250 ms (Docker Engine 25 or later), so `service_healthy` comes at once.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --start-interval=250ms --retries=3 CMD ["node", "dist/healthcheck.js"]
# node directly (not npm), so SIGTERM reaches the server, which drains and exits (within 8 s, before
# Docker's 10 s stop grace runs out). Arguments after the image name are the command line's:
# options (--clock manual), or `validate <folder>`.
ENTRYPOINT ["node", "dist/server.js"]
