# fleetsim as a container image (see the README, "Kubernetes"). Build and push:
#   docker build -t fleetsim:0.1.0 .
# Two stages: `npm run build` needs TypeScript (a dev dependency) to compile src/ into dist/;
# the runtime stage installs the production dependencies only (tsx stays: it loads TypeScript
# scenarios) and copies dist/ in.

FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would run the build, which needs the dev dependencies left out here.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
# src/ too: the bundled scenarios (scenarios/*.ts) import src/scenario/define.ts.
COPY src ./src
COPY scenarios ./scenarios
RUN ln -s /app/bin/fleetsim.js /usr/local/bin/fleetsim
# The image's own non-root user (uid 1000 in node images); reports go to a mounted volume.
USER node
ENTRYPOINT ["fleetsim"]
CMD ["--help"]
