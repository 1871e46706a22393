"""Registration, login, token refresh and /users/me (contract/API.md, "Authentication")."""

from datetime import timedelta
from uuid import UUID

import pytest
from django.conf import settings
from django.utils import timezone
from freezegun import freeze_time
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.models import User
from conftest import auth_client
from tests.factories import PASSWORD, UserFactory, db_state, iso, problem

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
ME = "/api/v1/users/me"

GOOD_PASSWORD = "violet-harbour-29"
ACCESS_SECONDS = int(settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds())

INVALID_CREDENTIALS = problem(401, "INVALID_CREDENTIALS", "The email address or password is incorrect.")
INVALID_REFRESH = problem(401, "INVALID_TOKEN", "The refresh token is invalid or has expired.")
INVALID_ACCESS = problem(401, "INVALID_TOKEN", "The access token is invalid or has expired.")
NOT_AUTHENTICATED = problem(401, "NOT_AUTHENTICATED", "Authentication credentials were not provided.")


# Register ---------------------------------------------------------------------------------


def test_register_creates_a_user_and_answers_201(api_client):
    response = api_client.post(REGISTER, {"email": "ann@example.com", "password": GOOD_PASSWORD})

    assert response.status_code == 201
    user = User.objects.get()
    assert response.json() == {"id": str(user.id), "email": "ann@example.com", "created_at": iso(user.created_at)}
    assert user.check_password(GOOD_PASSWORD)
    assert user.is_active is True
    assert user.is_staff is False


def test_register_stores_the_email_lower_cased_and_trimmed(api_client):
    response = api_client.post(REGISTER, {"email": "  Ann.Lee@Example.COM ", "password": GOOD_PASSWORD})

    assert response.status_code == 201
    assert response.json()["email"] == "ann.lee@example.com"
    assert list(User.objects.values_list("email", flat=True)) == ["ann.lee@example.com"]


def test_register_never_returns_the_password(api_client):
    response = api_client.post(REGISTER, {"email": "ann@example.com", "password": GOOD_PASSWORD})

    assert response.status_code == 201
    assert GOOD_PASSWORD not in response.content.decode()
    assert set(response.json()) == {"id", "email", "created_at"}


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {"email": "not-an-email", "password": GOOD_PASSWORD},
            [{"field": "email", "message": "Enter a valid email address."}],
        ),
        (
            {"email": "ann@example.com", "password": "v1olet!"},
            [
                {
                    "field": "password",
                    "message": "This password is too short. It must contain at least 8 characters.",
                }
            ],
        ),
        (
            {"email": "ann@example.com"},
            [{"field": "password", "message": "This field is required."}],
        ),
        (
            {"password": GOOD_PASSWORD},
            [{"field": "email", "message": "This field is required."}],
        ),
        (
            {},
            [
                {"field": "email", "message": "This field is required."},
                {"field": "password", "message": "This field is required."},
            ],
        ),
        (
            {"email": "", "password": ""},
            [
                {"field": "email", "message": "This field may not be blank."},
                {"field": "password", "message": "This field may not be blank."},
            ],
        ),
    ],
    ids=["bad-email", "short-password", "no-password", "no-email", "empty-body", "blank-fields"],
)
def test_register_rejects_invalid_input_with_400_and_writes_nothing(api_client, body, errors):
    response = api_client.post(REGISTER, body)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    detail = errors[0]["message"] if len(errors) == 1 else "The request contains invalid fields."
    assert response.json() == problem(400, "VALIDATION_ERROR", detail, errors)
    assert not User.objects.exists()


def test_register_rejects_a_common_password(api_client):
    response = api_client.post(REGISTER, {"email": "ann@example.com", "password": "password123"})

    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert response.json()["errors"] == [{"field": "password", "message": "This password is too common."}]
    assert not User.objects.exists()


@pytest.mark.parametrize("email", ["ann@example.com", "ANN@example.com", "Ann@Example.Com", " ann@example.com "])
def test_register_with_a_taken_email_in_any_case_is_409(api_client, email):
    existing = UserFactory(email="ann@example.com")
    before = db_state(User)

    response = api_client.post(REGISTER, {"email": email, "password": GOOD_PASSWORD})

    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == problem(
        409, "EMAIL_ALREADY_REGISTERED", "An account with this email address already exists."
    )
    assert db_state(User) == before
    existing.refresh_from_db()
    assert existing.check_password(PASSWORD)


# Login ------------------------------------------------------------------------------------


def test_login_returns_a_token_pair(api_client):
    user = UserFactory(email="ann@example.com")

    response = api_client.post(LOGIN, {"email": "ann@example.com", "password": PASSWORD})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == ACCESS_SECONDS
    assert AccessToken(body["access_token"])["user_id"] == str(user.id)
    assert RefreshToken(body["refresh_token"])["user_id"] == str(user.id)


def test_login_access_token_authenticates_requests(api_client):
    user = UserFactory(email="ann@example.com")
    tokens = api_client.post(LOGIN, {"email": "ann@example.com", "password": PASSWORD}).json()

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    response = api_client.get(ME)

    assert response.status_code == 200
    assert response.json()["id"] == str(user.id)


@pytest.mark.parametrize("email", ["ANN@EXAMPLE.COM", "Ann@Example.com", "  ann@example.com  "])
def test_login_email_is_case_insensitive(api_client, email):
    user = UserFactory(email="ann@example.com")

    response = api_client.post(LOGIN, {"email": email, "password": PASSWORD})

    assert response.status_code == 200
    assert AccessToken(response.json()["access_token"])["user_id"] == str(user.id)


def test_login_unknown_email_and_wrong_password_answer_identically(api_client):
    UserFactory(email="ann@example.com")

    unknown = api_client.post(LOGIN, {"email": "nobody@example.com", "password": PASSWORD})
    wrong = api_client.post(LOGIN, {"email": "ann@example.com", "password": "not-the-password"})

    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json() == INVALID_CREDENTIALS
    assert unknown["Content-Type"] == wrong["Content-Type"] == "application/problem+json"


def test_login_of_an_inactive_user_is_invalid_credentials(api_client):
    UserFactory(email="ann@example.com", is_active=False)

    response = api_client.post(LOGIN, {"email": "ann@example.com", "password": PASSWORD})

    assert response.status_code == 401
    assert response.json() == INVALID_CREDENTIALS


def test_login_password_is_case_sensitive(api_client):
    UserFactory(email="ann@example.com")

    response = api_client.post(LOGIN, {"email": "ann@example.com", "password": PASSWORD.upper()})

    assert response.status_code == 401
    assert response.json() == INVALID_CREDENTIALS


def test_login_with_missing_fields_is_400(api_client):
    response = api_client.post(LOGIN, {"email": "ann@example.com"})

    assert response.status_code == 400
    assert response.json() == problem(
        400,
        "VALIDATION_ERROR",
        "This field is required.",
        [{"field": "password", "message": "This field is required."}],
    )


# Refresh ----------------------------------------------------------------------------------


def test_refresh_returns_a_new_token_pair(api_client, user):
    refresh = RefreshToken.for_user(user)

    response = api_client.post(REFRESH, {"refresh_token": str(refresh)})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["refresh_token"] != str(refresh)
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == ACCESS_SECONDS
    assert AccessToken(body["access_token"])["user_id"] == str(user.id)

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert api_client.get(ME).status_code == 200


def test_refresh_with_the_login_refresh_token(api_client):
    UserFactory(email="ann@example.com")
    tokens = api_client.post(LOGIN, {"email": "ann@example.com", "password": PASSWORD}).json()

    response = api_client.post(REFRESH, {"refresh_token": tokens["refresh_token"]})

    assert response.status_code == 200
    assert response.json()["token_type"] == "bearer"


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30.AAAA"])
def test_refresh_with_a_garbage_token_is_401(api_client, token):
    response = api_client.post(REFRESH, {"refresh_token": token})

    assert response.status_code == 401
    assert response.json() == INVALID_REFRESH


def test_refresh_with_an_access_token_is_401(api_client, user):
    access = RefreshToken.for_user(user).access_token

    response = api_client.post(REFRESH, {"refresh_token": str(access)})

    assert response.status_code == 401
    assert response.json() == INVALID_REFRESH


def test_refresh_with_an_expired_refresh_token_is_401(api_client, user):
    lifetime = settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"]
    with freeze_time(timezone.now() - lifetime - timedelta(minutes=1)):
        expired = str(RefreshToken.for_user(user))

    response = api_client.post(REFRESH, {"refresh_token": expired})

    assert response.status_code == 401
    assert response.json() == INVALID_REFRESH


def test_refresh_with_a_tampered_token_is_401(api_client, user):
    token = str(RefreshToken.for_user(user))
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")

    response = api_client.post(REFRESH, {"refresh_token": tampered})

    assert response.status_code == 401
    assert response.json() == INVALID_REFRESH


def test_refresh_for_a_deleted_user_is_401(api_client):
    user = UserFactory()
    token = str(RefreshToken.for_user(user))
    user.delete()

    response = api_client.post(REFRESH, {"refresh_token": token})

    assert response.status_code == 401
    assert response.json() == INVALID_REFRESH


def test_refresh_for_an_inactive_user_is_401(api_client, user):
    token = str(RefreshToken.for_user(user))
    User.objects.filter(pk=user.pk).update(is_active=False)

    response = api_client.post(REFRESH, {"refresh_token": token})

    assert response.status_code == 401
    assert response.json() == INVALID_REFRESH


def test_refresh_without_a_token_is_400(api_client):
    response = api_client.post(REFRESH, {})

    assert response.status_code == 400
    assert response.json() == problem(
        400,
        "VALIDATION_ERROR",
        "This field is required.",
        [{"field": "refresh_token", "message": "This field is required."}],
    )


# /users/me --------------------------------------------------------------------------------


def test_me_returns_the_current_user(client_a, user):
    response = client_a.get(ME)

    assert response.status_code == 200
    assert response.json() == {"id": str(user.id), "email": user.email, "created_at": iso(user.created_at)}
    UUID(response.json()["id"])


def test_me_answers_for_the_token_owner_only(client_b, user, other_user):
    response = client_b.get(ME)

    assert response.status_code == 200
    assert response.json()["id"] == str(other_user.id)


def test_me_without_a_token_is_401_not_authenticated(api_client):
    response = api_client.get(ME)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json() == NOT_AUTHENTICATED


@pytest.mark.parametrize(
    "header",
    ["Bearer garbage", "Bearer a.b.c", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.AAAA"],
    ids=["garbage", "three-parts", "bad-signature"],
)
def test_me_with_a_malformed_token_is_401_invalid_token(api_client, header):
    api_client.credentials(HTTP_AUTHORIZATION=header)

    response = api_client.get(ME)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == INVALID_ACCESS


@pytest.mark.parametrize("header", ["Bearer", "Bearer one two"], ids=["no-credentials", "two-credentials"])
def test_me_with_a_broken_bearer_header_is_401_invalid_token(api_client, header):
    api_client.credentials(HTTP_AUTHORIZATION=header)

    response = api_client.get(ME)

    assert response.status_code == 401
    assert response.json() == INVALID_ACCESS


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Token abcdef"], ids=["basic", "token"])
def test_me_with_another_auth_scheme_is_401_not_authenticated(api_client, header):
    api_client.credentials(HTTP_AUTHORIZATION=header)

    response = api_client.get(ME)

    assert response.status_code == 401
    assert response.json() == NOT_AUTHENTICATED


def test_me_with_an_expired_access_token_is_401_invalid_token(api_client, user):
    lifetime = settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"]
    with freeze_time(timezone.now() - lifetime - timedelta(minutes=1)):
        expired = str(RefreshToken.for_user(user).access_token)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {expired}")

    response = api_client.get(ME)

    assert response.status_code == 401
    assert response.json() == INVALID_ACCESS


def test_me_with_a_refresh_token_as_bearer_is_401_invalid_token(api_client, user):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user)}")

    response = api_client.get(ME)

    assert response.status_code == 401
    assert response.json() == INVALID_ACCESS


def test_me_for_a_deleted_user_is_401_invalid_token(user):
    client = auth_client(user)
    user.delete()

    response = client.get(ME)

    assert response.status_code == 401
    assert response.json() == INVALID_ACCESS


def test_me_for_an_inactive_user_is_401_invalid_token(user):
    client = auth_client(user)
    User.objects.filter(pk=user.pk).update(is_active=False)

    response = client.get(ME)

    assert response.status_code == 401
    assert response.json() == INVALID_ACCESS


def test_signed_token_with_a_non_uuid_user_id_is_401_not_500(api_client):
    """A token signed with the server key but naming no UUID user: INVALID_TOKEN, never a 500."""
    from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

    access = AccessToken()
    access["user_id"] = "not-a-uuid"
    refresh = RefreshToken()
    refresh["user_id"] = 12345
    me = api_client.get("/api/v1/users/me", HTTP_AUTHORIZATION=f"Bearer {access}")
    assert me.status_code == 401
    assert me.json()["code"] == "INVALID_TOKEN"
    refreshed = api_client.post("/api/v1/auth/refresh", {"refresh_token": str(refresh)}, format="json")
    assert refreshed.status_code == 401
    assert refreshed.json()["code"] == "INVALID_TOKEN"


# The cached user (common/authentication.py) -------------------------------------------------


def test_an_authenticated_request_reads_the_user_from_the_cache_after_the_first(user, django_assert_num_queries):
    from django.core.cache import cache

    client = auth_client(user)
    assert client.get(ME).status_code == 200
    cached = cache.get(f"auth-user:{user.pk}")
    assert cached is not None and cached.pk == user.pk
    assert "password" not in cached.__dict__  # the hash stays out of the cache

    with django_assert_num_queries(0):
        assert client.get(ME).json()["email"] == user.email


def test_a_deactivation_in_the_admin_takes_effect_at_once(user, client):
    api = auth_client(user)
    assert api.get(ME).status_code == 200  # now cached
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    change = client.get(f"/admin/accounts/user/{user.pk}/change/")
    assert change.status_code == 200
    form = change.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.pop("is_active")  # an unticked box is not sent
    saved = client.post(f"/admin/accounts/user/{user.pk}/change/", data)
    assert saved.status_code == 302, saved.context["adminform"].form.errors if saved.context else saved

    assert not User.objects.get(pk=user.pk).is_active
    assert api.get(ME).json() == INVALID_ACCESS


def test_a_deletion_in_the_admin_takes_effect_at_once(user, client):
    api = auth_client(user)
    assert api.get(ME).status_code == 200
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    assert client.post(f"/admin/accounts/user/{user.pk}/delete/", {"post": "yes"}).status_code == 302

    assert api.get(ME).json() == INVALID_ACCESS


def test_a_password_change_takes_effect_at_once_for_a_cached_user(user):
    api = auth_client(user)
    assert api.get(ME).status_code == 200
    changed = api.post(
        "/api/v1/users/me/password",
        {"current_password": PASSWORD, "new_password": "a-brand-new-passphrase-7"},
        format="json",
    )
    assert changed.status_code == 204, changed.content

    assert api.get(ME).json() == INVALID_ACCESS
