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
# Request caps: request line ≤ 4094 bytes, ≤ 100 headers of ≤ 8190 bytes each (bodies are
# capped by DATA_UPLOAD_MAX_MEMORY_SIZE in the settings); idle keep-alive connections
# behind the proxy are closed after 10 s.
CMD ["gunicorn", "qi_portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--limit-request-line", "4094", "--limit-request-fields", "100", \
     "--limit-request-field_size", "8190", "--keep-alive", "10", "--access-logfile", "-"]
