# The scoreline image: the repository with its Node.js dependencies. The same image
# runs the one-shot `scoreline migrate` and the long-running `scoreline worker`
# (docker-compose.yml). TypeScript runs through tsx: there is no build step.
FROM node:20-bookworm-slim

WORKDIR /app
ENV NODE_ENV=production

# Dependencies first, so that a change to the code does not reinstall them.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY . .
RUN chown -R node:node /app
USER node

# Set DATABASE_URL: inside a container the embedded PostgreSQL is not used.
ENTRYPOINT ["bin/scoreline"]
CMD ["--help"]
