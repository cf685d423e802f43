FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package*.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
# The allocator is jemalloc (Debian's libjemalloc2, preloaded): glibc keeps what the boot and each
# argon2id hash free in the middle of its heap, which it cannot return, so an instance's RSS moved
# by 30 MiB from boot to boot; jemalloc's background thread returns freed pages within about a
# second (dirty_decay_ms), two arenas for every thread. The glibc variables below bound glibc's
# arenas and map blocks over 1 MiB where the gateway runs without the preload (docs/performance.md,
# Memory). V8's old generation is not capped: a 96 MiB cap collapsed the refresh route at 50
# concurrent requests (docs/deployment.md, Memory per instance). The bench runs the gateway with
# the same variables.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libjemalloc2 \
 && rm -rf /var/lib/apt/lists/* \
 && ln -s "/usr/lib/$(uname -m)-linux-gnu/libjemalloc.so.2" /usr/local/lib/libjemalloc.so.2 \
 && test -e /usr/local/lib/libjemalloc.so.2
ENV LD_PRELOAD=/usr/local/lib/libjemalloc.so.2 \
    MALLOC_CONF=background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0,narenas:2 \
    MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=1048576
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/prisma ./prisma
COPY --from=build /app/prisma.config.ts /app/package.json ./
USER node
EXPOSE 3000
# The gateway runs as a least-privilege role that cannot migrate: run the migrations first, as the
# table owner, with this image's `npx prisma migrate deploy` (the `migrate` service of
# docker-compose.yml; docs/deployment.md, "Database roles").
CMD ["node", "dist/main.js"]
