"""Production: everything secret or site-specific must come from the environment."""

from django.core.exceptions import ImproperlyConfigured

from .base import *
from .base import configure_redis_cache, env

# base.py already requires DJANGO_SECRET_KEY (no default) outside local and test; the local and
# test ones are committed to the repository, so they are refused here.
if SECRET_KEY.startswith(("local-development-only", "test-only")) or len(SECRET_KEY) < 40:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be a long random value of this deployment's own")
if SIMPLE_JWT["SIGNING_KEY"].startswith(("local-development-only", "test-only")):
    raise ImproperlyConfigured("JWT_SIGNING_KEY must be a long random value of this deployment's own")
DATABASES["default"] = env.db("DATABASE_URL")
configure_postgres_pool(DATABASES["default"], max_size=env.int("DB_POOL_MAX_SIZE", default=20))
CELERY_BROKER_URL = env("CELERY_BROKER_URL")
# Users' model keys are encrypted under it (no default: a committed key would protect nothing).
FIELD_ENCRYPTION_KEY = env.list("FIELD_ENCRYPTION_KEY")
# The throttles' counters must be shared by every web process: Redis (redis://host:6379/1).
CACHES = {"default": env.cache("CACHE_URL")}
if CACHES["default"]["BACKEND"].endswith((".LocMemCache", ".DummyCache")):
    raise ImproperlyConfigured("CACHE_URL must name a shared cache (redis://...) in production")
configure_redis_cache(CACHES["default"])

# SECURITY
# https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/
# ------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# Health checks come from the load balancer over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True

# /metrics is public unless it asks for a token (docs/operations.md): production requires one.
METRICS_TOKEN = env("METRICS_TOKEN")
if len(METRICS_TOKEN) < 16:
    raise ImproperlyConfigured("METRICS_TOKEN must be set (16 characters or more): /metrics would be public")

LOG_FORMAT = "json"
LOGGING["handlers"]["console"]["formatter"] = "json"
