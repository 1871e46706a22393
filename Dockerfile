# One image for every process of the service (web, worker, beat, flower, migrate):
# docker-compose.yml picks the command. Python 3.11, as on the development machines.

# The reference web client, built once; the web process serves web/dist at /.
FROM node:20-slim AS web
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
COPY --from=web /web/dist /app/web/dist

# Admin static files go into the image (WhiteNoise serves them). Collected with the local
# settings: the production ones refuse to import without this deployment's secrets, and the
# static files are the same either way. Nothing of this step's environment stays in the image.
RUN DJANGO_SETTINGS_MODULE=config.settings.local python manage.py collectstatic --noinput \
    && rm -rf var

# Run as an unprivileged user; var/ holds celery beat's schedule file.
RUN useradd --create-home --uid 10001 app && mkdir -p /app/var && chown app:app /app/var
USER app

# The Procfile's web command; uvicorn reads its address from UVICORN_HOST and UVICORN_PORT (8000).
ENV DJANGO_SETTINGS_MODULE=config.settings.production \
    UVICORN_HOST=0.0.0.0
EXPOSE 8000
CMD ["uvicorn", "config.asgi:application", "--proxy-headers", "--timeout-graceful-shutdown", "30"]
