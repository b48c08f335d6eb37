# syntax=docker/dockerfile:1
# The image of each of the three programs, one recipe built once per program. APP is the program's
# folder, its npm workspace; the build context is the repository root (one npm workspaces lockfile,
# and packages/contract and packages/common are built alongside):
#   docker build --build-arg APP=apps/worker -t worker .
#   docker build --build-arg APP=apps/frontend -t frontend .
#   docker build --build-arg APP=watcher -t watcher .
# NODE_IMAGE is the base of every stage: the same Node, OS packages and CA certificates for all three.
# Each program listens on its PORT, whose default is its port in the contract (frontend 8080,
# worker 8081, watcher 8082); the Deployments name their container ports.
ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: the program's workspace with its build tools, never the root's Pulumi packages
FROM ${NODE_IMAGE} AS build
ARG APP
RUN test -n "${APP}" || { echo "build with --build-arg APP=<program folder>: apps/worker, apps/frontend or watcher" >&2; exit 1; }
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json ./
COPY packages/contract/package.json packages/contract/
COPY packages/common/package.json packages/common/
COPY ${APP}/package.json ${APP}/
RUN npm ci --workspace ${APP} --include-workspace-root=false --no-audit --no-fund
COPY packages/contract/tsconfig.build.json packages/contract/
COPY packages/contract/src packages/contract/src
COPY packages/common/tsconfig.build.json packages/common/
COPY packages/common/src packages/common/src
# the whole program folder: src/, tsconfig.build.json and what it serves (the frontend's public/);
# its stack/ (Kubernetes objects), dist/ and node_modules/ stay out (.dockerignore)
COPY ${APP} ${APP}
RUN npm run build --workspace packages/contract --workspace packages/common --workspace ${APP} \
 && rm -rf ${APP}/src ${APP}/tsconfig.build.json ${APP}/node_modules

# --- production dependencies only. --omit=optional as well: typescript is marked devOptional in
# the lockfile (an optional peer of @pulumi/pulumi), which --omit=dev alone keeps.
FROM ${NODE_IMAGE} AS deps
ARG APP
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/contract/package.json packages/contract/
COPY packages/common/package.json packages/common/
COPY ${APP}/package.json ${APP}/
RUN npm ci --omit=dev --omit=optional --workspace ${APP} --include-workspace-root=false --no-audit --no-fund \
 && npm cache clean --force

# --- runtime: the built program, its production dependencies and the built packages; no shell tools
# beyond the base image
FROM ${NODE_IMAGE}
ARG APP
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/package.json ./
COPY --from=deps /app/node_modules node_modules
COPY packages/contract/package.json packages/contract/
COPY packages/common/package.json packages/common/
COPY --from=build /app/packages/contract/dist packages/contract/dist
COPY --from=build /app/packages/common/dist packages/common/dist
# package.json, dist/ and whatever else the program ships (the frontend's public/)
COPY --from=build /app/${APP} ${APP}
WORKDIR /app/${APP}
# the image's unprivileged "node" user (uid and gid 1000), by number so that the kubelet can check
# the Pods' runAsNonRoot
USER 1000:1000
# exec form: node is PID 1 and gets SIGTERM directly (graceful drain, exit within 10 s)
CMD ["node", "dist/index.js"]
