FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package*.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
# glibc keeps each argon2id hash's 19 MiB in its hashing thread's own arena and, after the first
# one, raises its mmap threshold so later hashes stay resident: two arenas and a fixed 1 MiB mmap
# threshold (larger blocks are mapped and returned when freed) bound that (docs/performance.md,
# Memory). V8's old generation is not capped: a 96 MiB cap held one instance under 200 MiB on
# protected reads but collapsed the refresh route at 50 concurrent requests (docs/deployment.md,
# Memory per instance). The bench runs the gateway with the same variables.
ENV MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=1048576
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
