# syntax=docker/dockerfile:1
# Baton: build a virtualenv with a plain (non-editable) install of every optional part
# (baton[all]: PostgreSQL, Meilisearch, Redis clients), run it as a non-root user with a
# fixed uid (10001: the compose file's meili-key job hands the API its key file by it).

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /opt/baton
COPY pyproject.toml constraints.txt README.md alembic.ini ./
COPY api ./api
COPY search ./search
COPY ingest ./ingest
COPY alembic ./alembic
RUN /opt/baton/bin/pip install -c constraints.txt ".[all]"

FROM python:3.11-slim AS runtime
RUN groupadd --system --gid 10001 baton \
    && useradd --system --uid 10001 --gid baton --home-dir /data baton \
    && mkdir -p /data && chown baton:baton /data
COPY --from=build /opt/baton /opt/baton
ENV PATH="/opt/baton/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    BATON_DATA_DIR=/data
USER baton
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"]
CMD ["baton", "serve", "--host", "0.0.0.0", "--port", "8000"]
