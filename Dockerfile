# tripo-mock: a local emulator of the Tripo 3D API.
#   docker build -t tripo-mock .
#   docker run -p 8080:8080 tripo-mock
# Configure it with TRIPO_MOCK_* variables (see the README's configuration table).

# Build: compile TypeScript with the dev dependencies.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts/bundle.ts ./scripts/
RUN npm run build

# Run: production dependencies, the compiled code, fixtures, built-in scenarios and prepared states; no compiler, no curl.
FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    TRIPO_MOCK_HOST=0.0.0.0 \
    TRIPO_MOCK_PORT=8080
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY fixtures ./fixtures
COPY scenarios ./scenarios
COPY states ./states
# Where a Compose volume keeps the state across restarts (TRIPO_MOCK_IMPORT, TRIPO_MOCK_EXPORT_ON_EXIT):
# a named volume mounted here takes this folder's owner, so the node user can write it.
RUN mkdir /data && chown node:node /data
USER node
EXPOSE 8080
# Node itself probes /__mock/ready on the configured port and host (TRIPO_MOCK_PORT, TRIPO_MOCK_HOST or the TRIPO_MOCK_CONFIG file).
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 CMD ["node", "dist/healthcheck.js"]
# node directly (not npm), so SIGTERM reaches the server, which drains and exits.
CMD ["node", "dist/server.js"]
