# FreeMobilaChat: the CLI, the server and the worker in one image.
#   podman build -t freemobilachat .            (or docker build)
#   podman run -v fmc-data:/data freemobilachat users add admin --role admin --password-stdin
#   podman run -p 3000:3000 -v fmc-data:/data freemobilachat
# BASE chooses the base image; it must provide Debian's apt (nodejs >= 20.19 in its archive).
ARG BASE=debian:trixie-slim

# Debian's Node.js, shared by both stages.
FROM ${BASE} AS node
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs ca-certificates \
 && rm -rf /var/lib/apt/lists/*

FROM node AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends npm libnode-dev python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# Native addons (better-sqlite3) are built against the headers of Debian's Node, not downloaded.
ENV npm_config_nodedir=/usr npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
WORKDIR /src
COPY package.json package-lock.json ./
# Behind a TLS-inspecting proxy, pass its CA bundle: --secret id=npmca,src=/etc/ssl/certs/ca-certificates.crt
RUN --mount=type=secret,id=npmca \
    if [ -s /run/secrets/npmca ]; then export npm_config_cafile=/run/secrets/npmca; fi \
 && npm ci --ignore-scripts \
 && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.web.json vite.config.ts ./
COPY bin bin
COPY src src
RUN npm run build && npm prune --omit=dev
# better-sqlite3 needs only its compiled addon at run time, not SQLite's sources and the compiler's objects (27 MB).
RUN cd node_modules/better-sqlite3 \
 && mv build/Release/better_sqlite3.node /tmp/ \
 && rm -rf build deps src \
 && mkdir -p build/Release \
 && mv /tmp/better_sqlite3.node build/Release/

FROM node
RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin fmc \
 && mkdir -p /data && chown fmc:fmc /data
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/dist dist
COPY --from=build /src/bin bin
COPY models models
COPY prompts prompts
RUN ln -s /app/bin/fmc.js /usr/local/bin/fmc
ENV NODE_ENV=production FMC_DATA_DIR=/data
USER fmc
VOLUME /data
EXPOSE 3000
# No curl in the image: Node asks /healthz itself, on the port serve listens on (FMC_PORT).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.FMC_PORT || 3000}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["fmc"]
CMD ["serve", "--host", "0.0.0.0"]
