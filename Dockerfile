# push-emulator: one small, health-checked container. Build: docker build -t push-emulator .

# --- build: a virtual environment with the app and its dependencies --------------------
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
# Dependencies get their own layer: it is rebuilt only when pyproject.toml changes.
COPY pyproject.toml README.md ./
RUN mkdir emulator && touch emulator/__init__.py \
    && /opt/venv/bin/pip install . \
    && /opt/venv/bin/pip uninstall --yes push-emulator
COPY emulator ./emulator
RUN /opt/venv/bin/pip install --no-deps .

# --- runtime: the venv (the bundled demo fixtures are package data in it), a non-root user --
FROM python:3.11-slim
LABEL org.opencontainers.image.title="push-emulator" \
      org.opencontainers.image.description="Local emulator of D·engage's SendInstantPush REST API that records every push" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="0.1.0"
RUN useradd --system --uid 10001 --user-group --home-dir /data --no-create-home emulator \
    && mkdir -p /data \
    && chown emulator:emulator /data
COPY --from=build /opt/venv /opt/venv
# 0.0.0.0 only here: inside a container the port is reachable only where it is published.
ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    EMULATOR_HOST=0.0.0.0 \
    EMULATOR_PORT=8080 \
    EMULATOR_DB=/data/emulator.db
# Fixtures: the bundled demo account unless EMULATOR_FIXTURES names a folder you mount.
VOLUME ["/data"]
EXPOSE 8080
USER emulator
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
    CMD ["push-emulator", "healthcheck"]
ENTRYPOINT ["push-emulator"]
CMD ["serve"]
