"""Tokens can be revoked: rotation on refresh, logout, a password change (refresh and access tokens alike)."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from freezegun import freeze_time
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from tests.factories import PASSWORD, UserFactory, problem

pytestmark = pytest.mark.django_db

LOGIN, REFRESH, LOGOUT = "/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/logout"
ME, PASSWORD_URL = "/api/v1/users/me", "/api/v1/users/me/password"
INVALID_REFRESH = problem(401, "INVALID_TOKEN", "The refresh token is invalid or has expired.")
INVALID_ACCESS = problem(401, "INVALID_TOKEN", "The access token is invalid or has expired.")


def login(user) -> dict:
    return APIClient().post(LOGIN, {"email": user.email, "password": PASSWORD}, format="json").json()


def me(access: str):
    return APIClient().get(ME, HTTP_AUTHORIZATION=f"Bearer {access}")


def refresh(token: str):
    return APIClient().post(REFRESH, {"refresh_token": token}, format="json")


def test_a_refresh_token_works_once_then_its_successor_takes_over(user):
    first = login(user)

    second = refresh(first["refresh_token"])
    assert second.status_code == 200
    # The old one is dead the moment it was rotated; reusing it (a stolen copy) is refused.
    assert refresh(first["refresh_token"]).json() == INVALID_REFRESH
    third = refresh(second.json()["refresh_token"])
    assert third.status_code == 200
    assert me(third.json()["access_token"]).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_of_one_token_give_one_new_pair():
    user = UserFactory()
    token = login(user)["refresh_token"]
    barrier = threading.Barrier(8)

    def use(_):
        barrier.wait()
        try:
            return refresh(token).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(use, range(8)))

    assert sorted(statuses) == [200] + [401] * 7


def test_logout_revokes_that_refresh_token_only(user):
    phone, laptop = login(user), login(user)

    response = APIClient().post(LOGOUT, {"refresh_token": phone["refresh_token"]}, format="json")

    assert response.status_code == 204
    assert refresh(phone["refresh_token"]).json() == INVALID_REFRESH
    assert refresh(laptop["refresh_token"]).status_code == 200
    # Logging out twice, or with a token that is not one, is 401.
    again = APIClient().post(LOGOUT, {"refresh_token": phone["refresh_token"]}, format="json")
    assert again.json() == INVALID_REFRESH
    assert APIClient().post(LOGOUT, {"refresh_token": "garbage"}, format="json").status_code == 401


def change_password(access: str, current: str, new: str):
    return APIClient().post(
        PASSWORD_URL,
        {"current_password": current, "new_password": new},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {access}",
    )


def test_a_password_change_revokes_every_token_issued_before(user):
    phone, laptop = login(user), login(user)

    response = change_password(laptop["access_token"], PASSWORD, "a-new-long-passphrase-42")

    assert response.status_code == 204
    for tokens in (phone, laptop):
        assert refresh(tokens["refresh_token"]).json() == INVALID_REFRESH
        assert me(tokens["access_token"]).json() == INVALID_ACCESS  # at once, not at expiry
    # The new password works; the old one does not.
    fresh = APIClient().post(LOGIN, {"email": user.email, "password": "a-new-long-passphrase-42"}, format="json")
    assert fresh.status_code == 200 and me(fresh.json()["access_token"]).status_code == 200
    old = APIClient().post(LOGIN, {"email": user.email, "password": PASSWORD}, format="json")
    assert old.status_code == 401
    assert OutstandingToken.objects.filter(user=user).exclude(blacklistedtoken__isnull=False).count() == 1


def test_a_wrong_current_password_is_400_and_changes_nothing(user):
    tokens = login(user)

    response = change_password(tokens["access_token"], "not-my-password", "a-new-long-passphrase-42")

    assert response.status_code == 400
    assert response.json() == problem(400, "INVALID_CREDENTIALS", "The current password is incorrect.")
    user.refresh_from_db()
    assert user.check_password(PASSWORD) and user.token_version == 0
    assert me(tokens["access_token"]).status_code == 200


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("short", "This password is too short. It must contain at least 8 characters."),
        ("password123", "This password is too common."),
    ],
)
def test_an_unacceptable_new_password_is_400(user, new, message):
    tokens = login(user)

    response = change_password(tokens["access_token"], PASSWORD, new)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "VALIDATION_ERROR"
    assert {"field": "new_password", "message": message} in body["errors"]
    assert me(tokens["access_token"]).status_code == 200


def test_password_change_needs_authentication():
    response = APIClient().post(PASSWORD_URL, {"current_password": "x", "new_password": "y"}, format="json")
    assert response.status_code == 401


def test_password_changes_are_rate_limited(user, settings):
    settings.PASSWORD_CHANGE_RATE_LIMIT = "2/hour"
    tokens = login(user)
    statuses = [change_password(tokens["access_token"], "wrong", "whatever-long-1").status_code for _ in range(3)]
    assert statuses == [400, 400, 429]


def test_expired_tokens_are_flushed(user):
    with freeze_time(timezone.now() - timedelta(days=30)):
        old = login(user)
    refresh(old["refresh_token"])  # already expired: refused, and it stays outstanding until the flush
    login(user)

    call_command("flushexpiredtokens")

    assert OutstandingToken.objects.filter(user=user).count() == 1
    assert BlacklistedToken.objects.count() == 0


def test_the_flush_is_scheduled(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["accounts-flush-expired-tokens"]
    assert entry["task"] == "accounts.tasks.flush_expired_tokens_task"
    assert entry["schedule"] == 86400


def test_the_admin_never_lists_refresh_tokens(admin_client, user):
    login(user)
    assert admin_client.get("/admin/token_blacklist/outstandingtoken/").status_code == 404
    assert b"token_blacklist" not in admin_client.get("/admin/").content
