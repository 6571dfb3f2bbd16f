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
# Sized for 2 cores: 3 processes × 4 threads (gthread). A page waits on PostgreSQL for a
# good part of its time, so threads keep both cores busy without 12 copies of the app in
# memory; sync workers would also ignore keep-alive. Idle keep-alive connections are kept
# 10 s, longer than a user's think time between requests (gunicorn's default of 2 s reset
# connections under load, issue 15). A request running past 30 s is killed; a worker is
# replaced after ~2,000 requests so its memory stays bounded. Request caps: request line
# ≤ 4094 bytes, ≤ 100 headers of ≤ 8190 bytes each (bodies are capped by
# DATA_UPLOAD_MAX_MEMORY_SIZE in the settings). GUNICORN_CMD_ARGS overrides any of these
# (e.g. "--workers 5" on 4 cores). bench/load.py measures this configuration.
CMD ["gunicorn", "qi_portal.wsgi:application", "--bind", "0.0.0.0:8000", \
     "--worker-class", "gthread", "--workers", "3", "--threads", "4", \
     "--keep-alive", "10", "--timeout", "30", "--graceful-timeout", "30", \
     "--max-requests", "2000", "--max-requests-jitter", "200", \
     "--limit-request-line", "4094", "--limit-request-fields", "100", \
     "--limit-request-field_size", "8190", "--access-logfile", "-"]
