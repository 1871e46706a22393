"""Rate limits: generate-feedback per user, login per account and per address, register per address.

The counters live in the test settings' real Redis cache (db 14); conftest.py clears them
before every test.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from conftest import auth_client
from operations import services as operation_services
from operations.models import Operation
from tests.factories import UserFactory, completed_session_with_answers

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login"
REGISTER = "/api/v1/auth/register"
PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}


def generate(client, session):
    return client.post(f"/api/v1/sessions/{session.id}/generate-feedback")


def assert_rate_limited(response, retry_after: int) -> None:
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] == str(retry_after)
    body = response.json()
    assert set(body) == PROBLEM_KEYS
    assert body["type"] == "about:blank"
    assert body["title"] == "Too Many Requests"
    assert body["status"] == 429
    assert body["code"] == "RATE_LIMITED"
    assert body["detail"] == f"Request was throttled. Expected available in {retry_after} seconds."


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    # What is throttled is the request; the publish after commit is not under test here.
    monkeypatch.setattr(operation_services, "operation_enqueue", lambda **kwargs: None)


# generate-feedback, per user -----------------------------------------------------------------


def test_feedback_is_throttled_per_user_with_retry_after(settings, user):
    settings.FEEDBACK_RATE_LIMIT = "2/hour"
    sessions = [completed_session_with_answers(user=user) for _ in range(3)]

    with freeze_time(timezone.now()):
        client = auth_client(user)
        assert generate(client, sessions[0]).status_code == 202
        assert generate(client, sessions[1]).status_code == 202
        response = generate(client, sessions[2])

    assert_rate_limited(response, retry_after=3600)
    # Throttled before the handler ran: no operation for the third session.
    assert not Operation.objects.filter(session=sessions[2]).exists()


def test_feedback_window_resets(settings, user):
    settings.FEEDBACK_RATE_LIMIT = "1/hour"
    first, second = completed_session_with_answers(user=user), completed_session_with_answers(user=user)
    start = timezone.now()

    with freeze_time(start) as frozen:
        client = auth_client(user)
        assert generate(client, first).status_code == 202
        frozen.tick(timedelta(minutes=30))
        client = auth_client(user)  # access tokens last 15 minutes
        assert_rate_limited(generate(client, second), retry_after=1800)

        frozen.tick(timedelta(minutes=30, seconds=1))
        client = auth_client(user)
        assert generate(client, second).status_code == 202


def test_one_users_feedback_throttle_does_not_affect_another(settings, user, other_user):
    settings.FEEDBACK_RATE_LIMIT = "1/hour"
    mine, theirs = completed_session_with_answers(user=user), completed_session_with_answers(user=other_user)
    client_a, client_b = auth_client(user), auth_client(other_user)

    assert generate(client_a, mine).status_code == 202
    assert generate(client_a, mine).status_code == 429

    assert generate(client_b, theirs).status_code == 202


def test_unauthenticated_feedback_request_is_401_not_throttled(settings, api_client, user):
    settings.FEEDBACK_RATE_LIMIT = "1/hour"
    session = completed_session_with_answers(user=user)

    for _ in range(3):
        assert generate(api_client, session).status_code == 401


def test_empty_rate_turns_the_limit_off(settings, user):
    settings.FEEDBACK_RATE_LIMIT = ""
    client = auth_client(user)
    session = completed_session_with_answers(user=user)

    # The in-flight operation comes back each time; nothing is counted.
    assert {generate(client, session).status_code for _ in range(5)} == {202}


# login, per account and per address ----------------------------------------------------------


def login(api_client, email, password="wrong-password", address="10.0.0.1", **extra):
    return api_client.post(LOGIN, {"email": email, "password": password}, REMOTE_ADDR=address, **extra)


def test_login_attempts_are_counted_per_account_across_addresses(settings, api_client):
    settings.LOGIN_RATE_LIMIT_PER_EMAIL = "3/minute"
    settings.LOGIN_RATE_LIMIT_PER_ADDRESS = "100/minute"
    UserFactory(email="victim@example.com", password="right-password-123")

    with freeze_time("2026-11-22 10:00:00"):
        # Failed attempts on one account, from three addresses, in any letter case.
        assert login(api_client, "victim@example.com", address="10.0.0.1").status_code == 401
        assert login(api_client, "VICTIM@example.com", address="10.0.0.2").status_code == 401
        assert login(api_client, " victim@Example.com ", address="10.0.0.3").status_code == 401
        # Now the account is locked for the rest of the minute, even with the right password...
        response = login(api_client, "victim@example.com", "right-password-123", address="10.0.0.4")
        # ...while other accounts can still log in from the same addresses.
        other = login(api_client, "someone-else@example.com", address="10.0.0.4")

    assert_rate_limited(response, retry_after=60)
    assert other.status_code == 401
    assert other.json()["code"] == "INVALID_CREDENTIALS"


def test_login_attempts_are_counted_per_address_across_accounts(settings, api_client):
    settings.LOGIN_RATE_LIMIT_PER_EMAIL = "100/minute"
    settings.LOGIN_RATE_LIMIT_PER_ADDRESS = "3/minute"

    with freeze_time("2026-11-22 10:00:00"):
        for n in range(3):
            assert login(api_client, f"guess{n}@example.com", address="10.0.0.9").status_code == 401
        response = login(api_client, "guess3@example.com", address="10.0.0.9")
        elsewhere = login(api_client, "guess3@example.com", address="10.0.0.10")

    assert_rate_limited(response, retry_after=60)
    assert elsewhere.status_code == 401


def test_login_window_resets(settings, api_client):
    settings.LOGIN_RATE_LIMIT_PER_EMAIL = "1/minute"
    UserFactory(email="user@example.com", password="right-password-123")

    with freeze_time("2026-11-22 10:00:00") as frozen:
        assert login(api_client, "user@example.com").status_code == 401
        assert login(api_client, "user@example.com", "right-password-123").status_code == 429
        frozen.tick(timedelta(seconds=61))
        response = login(api_client, "user@example.com", "right-password-123")

    assert response.status_code == 200
    assert set(response.json()) == {"access_token", "refresh_token", "token_type", "expires_in"}


def test_forwarded_for_is_ignored_without_trusted_proxies(settings, api_client):
    """NUM_PROXIES = 0 (the default): a client cannot pick a fresh address per attempt."""
    settings.LOGIN_RATE_LIMIT_PER_EMAIL = "100/minute"
    settings.LOGIN_RATE_LIMIT_PER_ADDRESS = "2/minute"

    statuses = [
        login(
            api_client, f"guess{n}@example.com", address="10.0.0.1", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}"
        ).status_code
        for n in range(3)
    ]

    assert statuses == [401, 401, 429]


def test_forwarded_for_names_the_client_behind_a_trusted_proxy(settings, api_client):
    """NUM_PROXIES = 1: the address our proxy appended to X-Forwarded-For is the client's."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    settings.LOGIN_RATE_LIMIT_PER_EMAIL = "100/minute"
    settings.LOGIN_RATE_LIMIT_PER_ADDRESS = "1/minute"

    def via_proxy(email, forwarded_for):
        return login(api_client, email, address="10.0.0.254", HTTP_X_FORWARDED_FOR=forwarded_for)

    # Whatever the client writes first, the proxy's last entry counts.
    assert via_proxy("a@example.com", "1.1.1.1, 198.51.100.7").status_code == 401
    assert via_proxy("b@example.com", "2.2.2.2, 198.51.100.7").status_code == 429
    assert via_proxy("c@example.com", "198.51.100.8").status_code == 401


def test_malformed_login_body_still_counts_against_the_address(settings, api_client):
    settings.LOGIN_RATE_LIMIT_PER_ADDRESS = "1/minute"

    first = api_client.post(LOGIN, "{not json", content_type="application/json", REMOTE_ADDR="10.0.0.1")
    second = login(api_client, "user@example.com", address="10.0.0.1")

    assert first.status_code == 400
    assert first.json()["code"] == "MALFORMED_REQUEST"
    assert second.status_code == 429


# register, per address ------------------------------------------------------------------------


def test_register_is_throttled_per_address(settings, api_client):
    settings.REGISTER_RATE_LIMIT_PER_ADDRESS = "2/hour"

    def register(n, address="10.0.0.1"):
        body = {"email": f"new{n}@example.com", "password": "a-good-passphrase"}
        return api_client.post(REGISTER, body, REMOTE_ADDR=address)

    with freeze_time("2026-11-22 10:00:00"):
        assert register(1).status_code == 201
        assert register(2).status_code == 201
        response = register(3)
        elsewhere = register(4, address="10.0.0.2")

    assert_rate_limited(response, retry_after=3600)
    assert elsewhere.status_code == 201


# the cache down ---------------------------------------------------------------------------------


def test_requests_are_served_unthrottled_while_the_cache_is_down(settings, user, caplog):
    """Fail open: Redis down must not turn generate-feedback (or login) into a 500."""
    settings.CACHES = {
        "default": {
            "BACKEND": "common.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    settings.FEEDBACK_RATE_LIMIT = "1/hour"
    session = completed_session_with_answers(user=user)
    client = auth_client(user)

    statuses = [generate(client, session).status_code for _ in range(3)]

    assert statuses == [202, 202, 202]
    assert "throttle feedback skipped, cache unavailable: ConnectionError" in caplog.text


def test_credential_endpoints_fail_closed_while_the_cache_is_down(settings, user, api_client, caplog):
    """A brute-force limit is never dropped: login, registration, refresh answer 503 while it cannot count."""
    settings.CACHES = {
        "default": {
            "BACKEND": "common.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    calls = {
        "login": ("/api/v1/auth/login", {"email": user.email, "password": "whatever-it-is"}),
        "register": ("/api/v1/auth/register", {"email": "new@example.com", "password": "a-long-passphrase-7"}),
        "refresh": ("/api/v1/auth/refresh", {"refresh_token": "x"}),
    }
    for name, (path, body) in calls.items():
        response = api_client.post(path, body, format="json")
        assert response.status_code == 503, name
        assert response.json()["code"] == "SERVICE_UNAVAILABLE"
        assert response["Retry-After"] == "5"
    assert "cannot count (ConnectionError): request refused" in caplog.text


def test_writes_are_limited_per_user_by_default(settings, user):
    settings.WRITE_RATE_LIMIT = "3/hour"
    client = auth_client(user)
    body = {"title": "T", "description": "D"}

    statuses = [client.post("/api/v1/job-postings", body, format="json").status_code for _ in range(4)]

    assert statuses == [201, 201, 201, 429]
    assert client.get("/api/v1/job-postings").status_code == 200  # reads are not counted
