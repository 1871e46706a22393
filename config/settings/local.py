"""Local development: safe defaults so `make run` works on a fresh machine."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "local-development-only-not-a-secret-0123456789abcdef")
os.environ.setdefault("DJANGO_DEBUG", "true")

from .base import *
