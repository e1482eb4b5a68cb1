# syntax=docker/dockerfile:1
# citypoints: the compiled city in one image. The same image runs every role by its command:
#   node dist/infra/start.js                      the whole city on one host (needs DATABASE_URL)
#   node dist/gateway/src/main.js                 the gateway (SUBGRAPH_URLS or <NAME>_URL)
#   node dist/subgraphs/<name>/src/main.js        one subgraph's GraphQL server
#   node dist/subgraphs/<name>/src/worker.js      one subgraph's workers
#   node dist/infra/migrate.js                    migrations, then exit (the deployment's Job)

FROM node:20.20-bookworm-slim AS build
WORKDIR /app
COPY . .
RUN npm ci --no-audit --no-fund \
 && npm run build \
 # the supergraph is composed ahead of time: a composition error fails the image build
 && node dist/infra/compose.js \
 && npm prune --omit=dev --no-audit --no-fund \
 # workspace links point at sources the runtime image does not carry; dist/node_modules resolves them
 && rm -rf node_modules/@citypoints

FROM node:20.20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    SUBGRAPH_HOST=0.0.0.0 \
    GATEWAY_SUPERGRAPH=file
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json ./package.json
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --from=build --chown=root:root /app/gateway/supergraph.graphql ./gateway/supergraph.graphql
# files belong to root and are read-only to the process, which runs as the image's unprivileged user
USER node
EXPOSE 4000 4101 4102 4103 4104 4105 4106
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.GATEWAY_PORT||4000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/infra/start.js"]
