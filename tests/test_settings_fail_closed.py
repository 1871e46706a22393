"""No entry point runs with development settings unless asked to; production refuses to start without its secrets."""

import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet

from tests.processes import ROOT

pytestmark = pytest.mark.slow

SECRETS = {
    "DJANGO_SECRET_KEY": "x" * 20 + "a-long-random-secret-of-this-deployment-only",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/interview_feedback",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "CACHE_URL": "redis://127.0.0.1:6379/1",
    "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "METRICS_TOKEN": "a-metrics-token-of-24-chars",
}


def load(module: str, **env: str) -> subprocess.CompletedProcess:
    """Import an entry point in a fresh process with only ``env`` (no DJANGO_SETTINGS_MODULE unless given)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_", "CACHE_"))}
    clean = {k: v for k, v in clean.items() if k not in {"FIELD_ENCRYPTION_KEY", "METRICS_TOKEN", "OPENAI_API_KEY"}}
    code = f"import {module}; from django.conf import settings; print(settings.SETTINGS_MODULE, settings.DEBUG)"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("module", ["config.wsgi", "config.asgi", "config.celery"])
def test_entry_points_default_to_production_and_refuse_to_start_without_secrets(module):
    result = load(module)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.parametrize("module", ["config.wsgi", "config.asgi"])
def test_with_every_secret_they_start_on_production_settings(module):
    result = load(module, **SECRETS)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "config.settings.production False"


@pytest.mark.parametrize(
    ("missing", "bad", "message"),
    [
        ("FIELD_ENCRYPTION_KEY", None, "FIELD_ENCRYPTION_KEY"),
        ("METRICS_TOKEN", None, "METRICS_TOKEN"),
        ("CACHE_URL", None, "CACHE_URL"),
        (None, {"METRICS_TOKEN": "short"}, "METRICS_TOKEN must be set"),
        (
            None,
            {"DJANGO_SECRET_KEY": "local-development-only-not-a-secret-0123456789abcdef"},
            "DJANGO_SECRET_KEY must be",
        ),
        (None, {"JWT_SIGNING_KEY": "test-only-not-a-secret-0123456789abcdef0123456789"}, "JWT_SIGNING_KEY must be"),
    ],
)
def test_production_refuses_each_missing_or_committed_secret(missing, bad, message):
    env = {k: v for k, v in SECRETS.items() if k != missing}
    env.update(bad or {})
    result = load("config.wsgi", **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_manage_py_is_the_development_entry_point():
    """manage.py (development) chooses the local settings; nothing else does."""
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.conf import settings; print(settings.SETTINGS_MODULE)",
        ],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip().endswith("config.settings.local"), result.stderr
