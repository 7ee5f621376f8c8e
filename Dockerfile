# One image for the worker, the API and the migration step (docker-compose.yml picks the command).
FROM node:20.19-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# The worker's node options and environment: worker/nodeOptions.ts.
ENV MALLOC_ARENA_MAX=2
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY . .
RUN mkdir -p /data/files && chown -R node:node /data
USER node
CMD ["node", "--expose-gc", "--max-semi-space-size=4", "--require", "tsx/cjs", "worker/main.ts"]
