# The Pilothouse image: `docker build -t REGISTRY/pilothouse:0.1.0 .` (README, "Install on Kubernetes").
# Two stages: the first installs Pilothouse into a virtualenv, the second is the same slim base
# with only that virtualenv and a non-root user: no compilers, no pip, no sources.

FROM python:3.11.13-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY commands ./commands
COPY integrations ./integrations
# Every dependency is a pure-Python or manylinux wheel: nothing is compiled. Bytecode is written
# here, because the running container's root filesystem is read-only.
RUN python -m venv /opt/pilothouse \
    && /opt/pilothouse/bin/pip install . \
    && /opt/pilothouse/bin/python -m compileall -q /opt/pilothouse/lib \
    && /opt/pilothouse/bin/pip uninstall -y pip setuptools

FROM python:3.11.13-slim-bookworm
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/pilothouse/bin:$PATH
RUN groupadd --system --gid 10001 pilothouse \
    && useradd --system --uid 10001 --gid 10001 --create-home --home-dir /home/pilothouse \
        --shell /usr/sbin/nologin pilothouse \
    && python -m pip uninstall -y pip setuptools wheel
COPY --from=build /opt/pilothouse /opt/pilothouse
USER 10001:10001
WORKDIR /home/pilothouse
# /slack/events (HTTP mode), /healthz, /readyz, /metrics
EXPOSE 3000
ENTRYPOINT ["pilothouse"]
