# syntax=docker/dockerfile:1
# Switchyard's image: Node 24 runs the TypeScript sources directly (type stripping), so there is no build
# step; the first stage only installs the production dependencies.
FROM node:24-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
# npm install runs the `prepare` script: the schema checks compiled ahead of time (actors/shared/schema-validators.ts)
# into .cache/schema-validators, which the last stage copies.
COPY actors/shared/schema-validators.ts ./actors/shared/
# `npm install` rather than `npm ci`: some registries do not carry every platform's optional binary of a dev
# dependency, which `npm ci` insists on even when dev dependencies are omitted.
RUN npm install --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY --from=dependencies /app/.cache/schema-validators ./.cache/schema-validators
COPY package.json package-lock.json ./
COPY cli ./cli
COPY runtime ./runtime
COPY model ./model
COPY sources ./sources
COPY actors ./actors
COPY backends ./backends
COPY dataplane ./dataplane
COPY protos ./protos
COPY inspector ./inspector
COPY replay ./replay
# Files mode (`translate`, `controller --files`) checks objects against our own CRDs and Gateway API's. Gateway
# API's are not in the repository: they are fetched here, at build, from the Go module proxy (checked against the
# release's go.sum hash) into a cache the image carries, so the image needs no network for them.
COPY deploy/crds ./deploy/crds
ENV SWITCHYARD_CACHE_DIR=/app/cache
RUN node cli/switchyard.mjs fetch-crds
# `switchyard` on PATH (`kubectl exec … -- switchyard translate -f …`, `docker run --entrypoint switchyard …`): the
# script's `#!/usr/bin/env node` finds the image's Node 24. The entry point is package.json's `bin`, cli/switchyard.mjs,
# as for `npx switchyard`: it turns Node's compile cache on before the first TypeScript file loads.
RUN ln -s /app/cli/switchyard.mjs /usr/local/bin/switchyard
# The image's unprivileged "node" user, by number so that Kubernetes can check runAsNonRoot.
USER 1000:1000
EXPOSE 18000 8081
# A 16 MiB young generation (V8 sizes it up to 32 MiB per semi-space on big hosts): RSS at 10,000 routes drops by
# ~100 MiB and the full sync is no slower (bench/controlplane.fullsync.bench.ts runs with the same flag).
# No allocation-site pretenuring: under load V8 would start allocating each request's short-lived objects straight
# into the old generation, where only major GCs free them (docs/operations.md, "V8 flags").
ENTRYPOINT ["node", "--max-semi-space-size=16", "--no-allocation-site-pretenuring", "cli/switchyard.mjs"]
CMD ["controller"]
