# syntax=docker/dockerfile:1
# counterfoil as an image, for scheduled jobs (README: "The store and scheduled jobs").
#   docker build -t counterfoil:0.1.0 .
#   docker run --rm -v counterfoil-store:/data -e ANTHROPIC_ADMIN_KEY counterfoil:0.1.0 sync --store /data
# Stage 1 builds the wheel exactly as a release does (scripts/wheel, WHEEL_PROFILE=dist) and runs
# the wheel's smoke test with no cargo on PATH; stage 2 is python:3.12-slim with that wheel and
# its dependencies installed, and no compiler. Both stages are Debian trixie, so the wheel's
# glibc tag is one the runtime has.

FROM rust:1.95-slim-trixie AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-venv \
 && rm -rf /var/lib/apt/lists/* \
 && python3 -m venv /opt/maturin \
 && /opt/maturin/bin/pip install --no-cache-dir "maturin>=1.9,<2"
ENV PATH=/opt/maturin/bin:$PATH \
    CARGO_TARGET_DIR=/target \
    WHEEL_DIR=/dist \
    WHEEL_PROFILE=dist
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/target \
    scripts/wheel --build
# The image ships the newest Polars, so that is the one to smoke-test (the floor is CI's job).
RUN WHEEL_POLARS=newest scripts/wheel --check

FROM python:3.12-slim-trixie AS runtime
COPY --from=build /dist/ /tmp/wheels/
RUN pip install --no-cache-dir --only-binary :all: /tmp/wheels/counterfoil-*.whl \
 && rm -rf /tmp/wheels \
 && useradd --system --uid 10001 --user-group --create-home --shell /usr/sbin/nologin counterfoil \
 && mkdir -p /data && chown counterfoil:counterfoil /data \
 && counterfoil --help >/dev/null
USER 10001:10001
WORKDIR /data
# The store: mount a volume (or a PersistentVolumeClaim) here; `--store /data`.
VOLUME ["/data"]
ENV PYTHONUNBUFFERED=1
ENTRYPOINT ["counterfoil"]
CMD ["--help"]
