"""Local development: safe defaults so `make run` works on a fresh machine."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "local-development-only-not-a-secret-0123456789abcdef")
os.environ.setdefault("DJANGO_DEBUG", "true")
# Encrypts users' model keys at rest (common/crypto.py); committed, so local only.
os.environ.setdefault("FIELD_ENCRYPTION_KEY", "fPNE6ADFYag6o7No48yuaX54naucgAneXl27mU8g-z8=")
# The SPA's dev server (Vite) on its default port.
os.environ.setdefault("CORS_ALLOWED_ORIGINS", "http://localhost:5173,http://127.0.0.1:5173")

from .base import *

# The embedded SQLite file is shared by gunicorn's threads and the worker's threads.
# WAL lets readers run beside the writer; BEGIN IMMEDIATE plus a busy timeout makes a
# concurrent writer wait for the lock instead of failing with "database is locked".
# https://docs.djangoproject.com/en/5.2/ref/databases/#sqlite-transaction-behavior
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
