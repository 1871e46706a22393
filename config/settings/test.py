"""Tests: a real PostgreSQL and a real Redis (see docs/development.md)."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-not-a-secret-0123456789abcdef0123456789")
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("FIELD_ENCRYPTION_KEY", "oVuAFupJrZ6oyazAkrIHMPc-gBQZ3HKHvTjUbhJc_fI=")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/interview_feedback")
# Redis database 15, so a test run never touches data in the default database.
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
# Tests never reach a real provider: the suite's fake server sets OPENAI_BASE_URL.
os.environ.setdefault("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
os.environ.setdefault("OPENAI_API_KEY", "sk-proj-test-key-planted-XyZ0123456789abcdefABCDEF")

# A real Redis cache (the throttles' counters) on database 14, used by nothing else.
os.environ.setdefault("CACHE_URL", "redis://127.0.0.1:6379/14")

# Test workers start and stop all the time; they serve no metrics port.
os.environ.setdefault("CELERY_METRICS_PORT", "0")

from .base import *

# Hashing at full cost makes every login test slow and tests nothing of ours.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# No collectstatic in tests: an empty folder keeps WhiteNoise from warning that it is missing
# (WhiteNoise stays: the browser tests get the web client from it).
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES["staticfiles"] = {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
}
# Each test process counts under its own prefix, so test runs side by side never share (or
# clear) each other's throttle counters; conftest.py clears this prefix before every test.
CACHES["default"]["KEY_PREFIX"] = f"test-{os.getpid()}"
