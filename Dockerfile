# One image for every Paystream process; SERVICE picks which one runs.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY apps/order-payment/package.json apps/order-payment/
COPY apps/channel-gateway/package.json apps/channel-gateway/
COPY apps/risk/package.json apps/risk/
COPY apps/settlement/package.json apps/settlement/
COPY apps/merchant/package.json apps/merchant/
COPY apps/channel-emulator/package.json apps/channel-emulator/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY --from=build /app/tools/run-dist.js tools/run-dist.js
COPY --from=build /app/package.json package.json
# the channel emulator's state directory (a volume in docker-compose.yml), writable by the node user
RUN mkdir -p /var/lib/paystream/channel-emulator && chown node:node /var/lib/paystream/channel-emulator
# the secrets volume's mount point (docker-compose.yml): a new volume takes this directory's owner and mode, so
# the init service (as node) can write it, and Prometheus (another user, given the node group) can reach its token
RUN mkdir -p /etc/paystream && chown node:node /etc/paystream && chmod 750 /etc/paystream
USER node
CMD ["sh", "-c", "exec node tools/run-dist.js dist/apps/${SERVICE}/src/main.js"]
