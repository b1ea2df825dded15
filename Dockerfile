# digestbot worker image: `docker build -t digestbot .`
# Run with DATABASE_URL pointing at PostgreSQL; see docker-compose.yml and README "Deploying".
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY config ./config
COPY digests ./digests
# A wheel of the project and of every dependency, so the runtime stage needs no compiler.
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LOG_FORMAT=json \
    METRICS_HOST=0.0.0.0 \
    METRICS_PORT=9100
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
    && useradd --system --create-home --home-dir /app digestbot
USER digestbot
WORKDIR /app
EXPOSE 9100
# /healthz answers 200 while the worker and its database are up.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('METRICS_PORT', '9100'), timeout=4)"
# Applies pending migrations, then runs until SIGTERM (docker stop) and shuts down cleanly.
CMD ["python", "-m", "bot"]
