# tailsim in a container, for batch engines (Kubernetes Jobs, Slurm with a container runtime).
#   docker build -t tailsim:0.1.0 .
#   docker run --rm -v "$PWD/traces:/data:ro" tailsim:0.1.0 replay /data/sample.csv --policy zygos --cores 16
# Stage 1 builds the package tarball exactly as `npm pack` would publish it; stage 2 installs that
# tarball globally (runtime dependencies only) and runs as the unprivileged `node` user.
FROM node:20-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY bin bin
COPY src src
COPY commands commands
COPY traces traces
RUN npm run build && npm pack --ignore-scripts --pack-destination /pkg

FROM node:20-slim
ENV NODE_ENV=production NO_UPDATE_NOTIFIER=1
COPY --from=build /pkg /pkg
RUN npm install --global --no-audit --no-fund --ignore-scripts /pkg/tailsim-*.tgz \
  && rm -rf /pkg /root/.npm \
  && mkdir -p /work && chown node:node /work
USER node
WORKDIR /work
ENTRYPOINT ["tailsim"]
CMD ["--help"]
