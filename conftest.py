"""Fixtures shared by the whole suite. Tests run against real PostgreSQL and Redis."""

import io
import logging
import os

import pytest
import redis
from django.conf import settings
from django.core.cache import cache as default_cache
from rest_framework.test import APIClient

from accounts.services import tokens_issue
from common.logging import ContextFilter, JsonFormatter, RedactSecretsFilter
from tests.factories import UserFactory

# Against a real model server (`make model`): collected by `make test-model` only, never in a plain run.
collect_ignore = [] if os.environ.get("REAL_MODEL_TESTS") else ["tests/test_real_model.py"]


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def auth_client(user) -> APIClient:
    """An API client with an access token for ``user``, issued as a login issues it."""
    user.refresh_from_db(fields=["token_version"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_issue(user)['access_token']}")
    return client


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def client_a(user) -> APIClient:
    """An API client authenticated as `user`."""
    return auth_client(user)


@pytest.fixture
def client_b(other_user) -> APIClient:
    """An API client authenticated as `other_user`."""
    return auth_client(other_user)


# The fake model server ---------------------------------------------------------------


@pytest.fixture(scope="session")
def fake_openai_server():
    from tests.fake_openai import FakeOpenAI

    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def fake_llm(fake_openai_server, settings):
    """The real openai SDK, pointed at the suite's fake OpenAI-compatible server."""
    fake_openai_server.reset()
    settings.OPENAI_BASE_URL = fake_openai_server.base_url
    settings.OPENAI_API_KEY = PLANTED_KEY
    settings.OPENAI_TIMEOUT_SECONDS = 5.0
    settings.OPENAI_MAX_RETRIES = 0
    yield fake_openai_server
    fake_openai_server.reset()


# A key in the shape of a real project key: "sk-proj-" then letters, digits, '-' and '_'.
PLANTED_KEY = "sk-proj-PLANTEDkey_0123456789-abcdefghijklmnopqrstuvwxyzABCDEF"


# Throttle counters --------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _clear_throttle_counters():
    """Every test starts with no request counted (test settings: Redis db 14, this process's prefix).

    Only this process's keys are deleted, so test runs side by side do not disturb each other.
    """
    cache = settings.CACHES["default"]
    if cache["BACKEND"] == "common.cache.RedisCache":
        client = redis.Redis.from_url(cache["LOCATION"])
        try:
            keys = list(client.scan_iter(match=f"{cache.get('KEY_PREFIX', '')}:*", count=1000))
            if keys:
                client.delete(*keys)
        finally:
            client.close()
    else:
        default_cache.clear()
    yield


# Logs ----------------------------------------------------------------------------------------


@pytest.fixture
def captured_logs():
    """The project's real log pipeline (filters + JSON formatter) at DEBUG, on every logger."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactSecretsFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    noisy = [logging.getLogger(name) for name in ("openai", "httpx2", "httpcore2")]
    saved = (root.level, [lg.level for lg in noisy])
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for lg in noisy:
        lg.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(saved[0])
    for lg, level in zip(noisy, saved[1], strict=True):
        lg.setLevel(level)
