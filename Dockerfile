# One image for both apps: `pnpm start:api` or `pnpm start:worker` (see docker-compose.yml).
FROM node:20-bookworm-slim
RUN npm install -g pnpm@10 && apt-get update && apt-get install -y --no-install-recommends python3 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml .npmrc prisma.config.ts ./
COPY scripts ./scripts
COPY prisma ./prisma
COPY apps ./apps
COPY packages ./packages
RUN pnpm install --frozen-lockfile
ENV NODE_ENV=production
EXPOSE 3000
CMD ["pnpm", "start:api"]
