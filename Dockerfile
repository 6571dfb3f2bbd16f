# Production image: gunicorn serves Django, whitenoise serves the static files.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm gettext curl \
      libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt package.json package-lock.json ./
RUN pip install -r requirements.txt && npm ci --no-audit --no-fund --loglevel=error
COPY . .
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput

RUN useradd --create-home qi && chown -R qi /app
USER qi
EXPOSE 8000
# Sized for 2 cores: 4 sync worker processes, each serving one request at a time. A sync
# worker accepts a connection only when it is free, so requests go to an idle worker; a
# gthread worker accepts every connection it is offered and keeps it (keep-alive), so a
# worker that happens to hold the heavier users' connections queues while another idles.
# Measured under bench/load.py's 50 users (issue 15): 4 sync workers 26.0 requests/s,
# p95 1.24 s; 3 gthread workers × 4 threads 24.1 requests/s, p95 2.28 s, on the same code.
# Each response closes its connection ("Connection: close"), so a client never reuses one
# the server is closing (the resets of gunicorn's 2 s keep-alive under load); keep-alive
# to browsers is the TLS proxy's, which buffers slow clients. A request running past 30 s
# is killed; a worker is replaced after ~2,000 requests so its memory stays bounded.
# Request caps: request line ≤ 4094 bytes, ≤ 100 headers of ≤ 8190 bytes each (bodies are
# capped by DATA_UPLOAD_MAX_MEMORY_SIZE in the settings). GUNICORN_CMD_ARGS overrides any
# of these (e.g. "--workers 8" on 4 cores). bench/load.py measures this configuration.
CMD ["gunicorn", "qi_portal.wsgi:application", "--bind", "0.0.0.0:8000", \
     "--worker-class", "sync", "--workers", "4", \
     "--timeout", "30", "--graceful-timeout", "30", \
     "--max-requests", "2000", "--max-requests-jitter", "200", \
     "--limit-request-line", "4094", "--limit-request-fields", "100", \
     "--limit-request-field_size", "8190", "--access-logfile", "-"]
