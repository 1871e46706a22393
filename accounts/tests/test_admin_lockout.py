"""The admin's login locks out after repeated failures (django-axes), per account and per address."""

import io

import pytest
from django.core.management import call_command

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"


@pytest.fixture
def staff(db):
    user = UserFactory(email="ops@example.com", is_staff=True, is_superuser=True)
    user.set_password("the-right-admin-password")
    user.save()
    return user


def attempt(client, password, address="10.0.0.1", email="ops@example.com"):
    return client.post(LOGIN, {"username": email, "password": password}, REMOTE_ADDR=address)


def test_an_account_is_locked_after_five_failures_even_with_the_right_password(client, staff, settings):
    for _ in range(4):
        assert attempt(client, "wrong").status_code == 200  # the form again, with its error
    assert attempt(client, "wrong").status_code == 429  # the fifth failure locks

    locked = attempt(client, "the-right-admin-password")

    assert locked.status_code == 429
    assert locked.json()["code"] == "LOGIN_LOCKED_OUT"
    # ... from another address too: the lockout is per account as well as per address.
    assert attempt(client, "the-right-admin-password", address="10.9.9.9").status_code == 429


def test_an_address_is_locked_after_five_failures_whatever_the_account(client, staff):
    for n in range(5):
        attempt(client, "wrong", email=f"guess{n}@example.com")
    assert attempt(client, "the-right-admin-password").status_code == 429
    # Another address is not locked (the account itself had no failure).
    response = attempt(client, "the-right-admin-password", address="10.0.0.2")
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_the_documented_reset_lifts_the_lockout(client, staff):
    for _ in range(5):
        attempt(client, "wrong")
    assert attempt(client, "the-right-admin-password").status_code == 429

    call_command("axes_reset", stdout=io.StringIO())

    assert attempt(client, "the-right-admin-password").status_code == 302


def test_the_api_login_is_not_axes_business(api_client, staff, settings):
    """The API's login has its own throttles; axes watches the admin site only."""
    settings.LOGIN_RATE_LIMIT_PER_EMAIL = settings.LOGIN_RATE_LIMIT_PER_ADDRESS = ""
    for _ in range(6):
        api_client.post("/api/v1/auth/login", {"email": staff.email, "password": "wrong"}, format="json")
    ok = api_client.post(
        "/api/v1/auth/login", {"email": staff.email, "password": "the-right-admin-password"}, format="json"
    )
    assert ok.status_code == 200
