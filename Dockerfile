# Annexa collector image: `docker run -v annexa-data:/data annexa collect`.
# NODE_VERSION may be 20 or 22 (`--build-arg NODE_VERSION=22`).
ARG NODE_VERSION=20
# Build stage: compiles better-sqlite3 (no prebuilt binaries are downloaded) and the TypeScript.
FROM node:${NODE_VERSION}-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY connectors ./connectors
COPY storage ./storage
RUN npm run build && npm prune --omit=dev

FROM node:${NODE_VERSION}-slim
ENV NODE_ENV=production \
    ANNEXA_CONFIG=/data/annexa.yaml
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY mappings ./mappings
# Non-root: the collector only needs to write its store under /data.
RUN groupadd --system annexa && useradd --system --gid annexa --home-dir /data annexa \
 && mkdir -p /data && chown annexa:annexa /data
USER annexa
VOLUME /data
WORKDIR /data
# Run as a program, so the node flags on its first line apply (see bin/annexa.js).
ENTRYPOINT ["/app/bin/annexa.js"]
CMD ["collect"]
