# syntax=docker/dockerfile:1
# Bulkhead operator image. Multi-stage: compile TypeScript with the dev toolchain, then ship only
# dist/, bin/ and production dependencies on a slim Node runtime as a non-root user.
#
#   docker build -t bulkhead:dev .
#   docker run --rm bulkhead:dev crd          # any CLI command; the default is `run`
#
# The chart and manifests/ run this image with a read-only root filesystem, no capabilities and
# uid/gid 65532; nothing here writes outside /tmp (an emptyDir in the pod).
# The Node.js that make and CI run the tests on: keep it equal to NODE_VERSION in hack/install-node.sh.
ARG NODE_IMAGE=node:24.22.3-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the prepare script (tsc) runs below, once src/ is in.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json

FROM ${NODE_IMAGE} AS deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE}
LABEL org.opencontainers.image.title="bulkhead" \
      org.opencontainers.image.description="Zero-trust microsegmentation for AI workloads on Kubernetes" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY crds ./crds
# 65532 is the conventional "nonroot" uid/gid (distroless); numeric so that runAsNonRoot can verify it.
USER 65532:65532
EXPOSE 8080
# --expose-gc: `bulkhead run` uses V8's gc function to give back the heap pages V8 keeps after the
# initial lists (src/runtime/heap.ts; RSS with 10,000 pods cached 211 -> 126 MiB, docs/operations.md).
ENTRYPOINT ["node", "--expose-gc", "/app/bin/bulkhead.js"]
CMD ["run"]
