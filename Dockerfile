# syntax=docker/dockerfile:1
# Builds a static commons binary and runs `commons daemon` with its repo on
# the volume /data.
#
#   docker build -t commons .
#   docker run -d --name commons -v commons-data:/data -v "$PWD/genesis.json:/genesis.json:ro" \
#     -p 4780:4780/tcp -p 4780:4780/udp commons daemon --genesis /genesis.json --bootstrap MULTIADDR
#   docker exec commons commons id
#
# docs/OPERATING.md has the rest: memory and file limits, a stop timeout
# long enough for the store to close, backups of the volume, upgrades.
# .dockerignore keeps the context to what the build needs.
#
# Without --genesis the node founds a commons of one. The addresses
# `commons id` reports are the container's; peers outside reach it at the
# host's address, port 4780.
#
# The HTTP API stays on the container's loopback (the CLI inside the
# container reaches it through /data/api). To expose it, set "api" and
# "api_token" in /data/config.json and publish the port.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/commons ./cmd/commons \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/commons /usr/local/bin/commons
COPY --from=build --chown=65532:65532 /out/data /data
ENV COMMONS_PATH=/data
VOLUME ["/data"]
# libp2p (TCP and QUIC); the API port is only useful with api_token set.
EXPOSE 4780/tcp 4780/udp 5780/tcp
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/commons"]
CMD ["daemon"]
