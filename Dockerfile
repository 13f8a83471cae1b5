# syntax=docker/dockerfile:1
# The dagctl image: the DAG engine, the retraining pipeline and the serving app, on Node 20 (Debian bookworm).
# Build:  docker build -t dagctl .
# Run:    docker compose up   (see docker-compose.yaml and the README's "Containers" section)

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: compile the native oneDNN backend and pg-native (PostgreSQL), install production dependencies ----
FROM ${NODE_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libdnnl-dev libpq-dev python3 make g++ pkg-config ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages ./packages
RUN npm ci --omit=dev --no-audit --no-fund

# ---- runtime: sources + production node_modules, oneDNN's and libpq's runtime libraries, a non-root user ----
FROM ${NODE_IMAGE} AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends libdnnl2 libpq5 git tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    DAGCTL_HOME=/app/runs \
    DAGCTL_LOAD_EXAMPLES=false
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/packages ./packages
COPY package.json package-lock.json tsconfig.json params.yaml params.production.yaml dvc.yaml dvc.lock ./
COPY bin ./bin
COPY src ./src
COPY .dvc/config ./.dvc/config
COPY data ./data
# The pointer only: dvc_pull fetches the production model the first training continues.
COPY models/production.dvc models/.gitignore ./models/
RUN mkdir -p /app/runs && chown -R node:node /app/runs /app/data /app/models /app/.dvc
USER node
EXPOSE 8000
ENTRYPOINT ["/usr/bin/tini", "--", "node", "bin/dagctl.js"]
CMD ["--help"]
