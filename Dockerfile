# A slim, non-root image serving YourMusic on PostgreSQL (set DATABASE_URL, SIGNING_KEYS, ...).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY yourmusic ./yourmusic
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home /app yourmusic
COPY --from=build /install /usr/local
WORKDIR /app
ENV PYTHONUNBUFFERED=1 \
    DATA_DIR=/app/var \
    SEED_DEMO=false
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)" || exit 1
CMD ["yourmusic", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
