# sqscan and git in a small image, run as a non-root user:
#   docker build -t sqscan .
#   docker run --rm -v "$PWD:/work" sqscan git /work
FROM rust:1-alpine AS build
RUN apk add --no-cache musl-dev
WORKDIR /src
COPY . .
RUN cargo build --release --locked && strip target/release/sqscan

FROM alpine:3
# git for `sqscan audit` (mirrors); safe.directory so that a repository
# mounted from the host, owned by another user, can be read.
RUN apk add --no-cache git ca-certificates \
 && git config --system --add safe.directory '*' \
 && adduser -D -u 10001 sqscan
COPY --from=build /src/target/release/sqscan /usr/local/bin/sqscan
USER sqscan
WORKDIR /work
ENTRYPOINT ["sqscan"]
CMD ["--help"]
