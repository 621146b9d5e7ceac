# syntax=docker/dockerfile:1
# Pilote: build stage compiles TypeScript and generates the Prisma client; the runtime stage
# keeps only production dependencies and the compiled code.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json prisma.config.ts ./
COPY scripts ./scripts
COPY prisma ./prisma
# matrix-bot-sdk's crypto module is a local stub (a file: dependency): it must be there for npm ci.
COPY adapters/matrix/crypto-stub ./adapters/matrix/crypto-stub
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY adapters ./adapters
COPY bin ./bin
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:20-bookworm-slim AS runtime
# The old-generation cap makes V8 collect before the heap balloons: one `all` process stays
# under 200 MB of RSS at steady load for a live heap of about 50 MB (docs/performance.md).
# V8 flags that Node refuses in NODE_OPTIONS are set by the entry point (bin/v8-flags.js).
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-old-space-size=128 \
    TZ=UTC \
    HTTP_PORT=3000
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/prisma ./prisma
# node_modules/@matrix-org/matrix-sdk-crypto-nodejs is a link to this folder.
COPY --from=build /app/adapters/matrix/crypto-stub ./adapters/matrix/crypto-stub
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "bin/pilote.js"]
CMD ["start", "--role", "all"]
