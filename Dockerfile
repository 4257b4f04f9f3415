# rotor in a container. A thin wrapper: every install step is scripts/install-from-tarball.sh (npm
# pack, then npm install --global of the tarball), which CI runs in a clean directory
# (scripts/check-install.mjs), so what this image contains is what CI tested.
#   docker build -t rotor .
#   docker run -p 127.0.0.1:8080:8080 -e OPENROUTER_API_KEY -v rotor-data:/var/lib/rotor/data rotor
FROM node:20-slim AS build
# better-sqlite3 compiles from source when no prebuilt binary can be fetched.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN scripts/install-from-tarball.sh /opt/rotor

FROM node:20-slim
COPY --from=build /opt/rotor /opt/rotor
ENV PATH=/opt/rotor/bin:$PATH \
    NODE_ENV=production \
    ROTOR_HOST=0.0.0.0 \
    ROTOR_PORT=8080
# With a key, `rotor serve` keeps its state in ./data/rotor.db: that directory is the volume.
RUN mkdir -p /var/lib/rotor/data && chown -R node:node /var/lib/rotor
WORKDIR /var/lib/rotor
VOLUME /var/lib/rotor/data
# The unprivileged user of the official Node image (uid 1000).
USER node
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.ROTOR_PORT || 8080) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["rotor", "serve"]
