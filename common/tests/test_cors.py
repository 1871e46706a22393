"""CORS for the SPA (django-cors-headers): real preflights and real requests, as a browser sends them."""

import pytest

from conftest import auth_client
from operations import services as operation_services
from tests.factories import OperationFactory, completed_session_with_answers

pytestmark = pytest.mark.django_db

SPA = "https://app.example.com"
DEV = "http://localhost:5173"
EVIL = "https://evil.example.net"


@pytest.fixture(autouse=True)
def _origins(settings):
    settings.CORS_ALLOWED_ORIGINS = [SPA, DEV]


def exposed(response) -> set[str]:
    return {h.strip().lower() for h in response["Access-Control-Expose-Headers"].split(",")}


def preflight(client, path, origin, method="POST", headers="authorization, content-type"):
    return client.options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS=headers,
    )


def test_preflight_from_an_allowed_origin(api_client, user):
    session = completed_session_with_answers(user=user)

    response = preflight(api_client, f"/api/v1/sessions/{session.id}/generate-feedback", SPA)

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == SPA
    assert "POST" in response["Access-Control-Allow-Methods"]
    allowed = {h.strip().lower() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type"} <= allowed
    assert response["Access-Control-Max-Age"] == "3600"
    assert "Access-Control-Allow-Credentials" not in response  # bearer tokens, no cookies
    assert response.content == b""


def test_post_from_an_allowed_origin_exposes_location_and_retry_after(user, monkeypatch):
    monkeypatch.setattr(operation_services, "operation_enqueue", lambda **kwargs: None)
    session = completed_session_with_answers(user=user)

    response = auth_client(user).post(f"/api/v1/sessions/{session.id}/generate-feedback", HTTP_ORIGIN=DEV)

    assert response.status_code == 202
    assert response["Access-Control-Allow-Origin"] == DEV
    assert exposed(response) == {"location", "retry-after", "x-request-id"}
    assert response["Location"].startswith("/api/v1/operations/")
    assert response["Vary"].lower().count("origin") == 1


def test_get_from_an_allowed_origin(user):
    operation = OperationFactory(user=user)

    response = auth_client(user).get(f"/api/v1/operations/{operation.id}", HTTP_ORIGIN=SPA)

    assert response.status_code == 200
    assert response["Retry-After"] == "2"
    assert response["Access-Control-Allow-Origin"] == SPA
    assert exposed(response) == {"location", "retry-after", "x-request-id"}


def test_errors_carry_cors_headers_too(api_client):
    """The SPA must be able to read a 401 to send the user to the login page."""
    response = api_client.get("/api/v1/users/me", HTTP_ORIGIN=SPA)

    assert response.status_code == 401
    assert response["Access-Control-Allow-Origin"] == SPA


def test_disallowed_origin_gets_no_allow_header(api_client, user):
    operation = OperationFactory(user=user)

    pre = preflight(api_client, f"/api/v1/operations/{operation.id}", EVIL, method="GET")
    response = auth_client(user).get(f"/api/v1/operations/{operation.id}", HTTP_ORIGIN=EVIL)

    assert "Access-Control-Allow-Origin" not in pre
    assert "Access-Control-Allow-Origin" not in response
    assert "Access-Control-Expose-Headers" not in response
    assert response.status_code == 200  # CORS is the browser's rule; the server just does not opt in


def test_no_origins_are_allowed_by_default(settings, api_client):
    settings.CORS_ALLOWED_ORIGINS = []

    response = preflight(api_client, "/api/v1/auth/login", SPA)

    assert "Access-Control-Allow-Origin" not in response


def test_only_the_api_answers_cors(api_client):
    response = api_client.get("/healthz", HTTP_ORIGIN=SPA)

    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response
