"""The web client at /: its built files, its routes falling back to index.html, the API untouched."""

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(tmp_path, settings):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text('<!doctype html><div id="root"></div><script src="/assets/index-AbCd1234.js">')
    (tmp_path / "assets" / "index-AbCd1234.js").write_text("console.log('app')")
    settings.WEB_CLIENT_DIR = tmp_path
    return tmp_path


@pytest.mark.parametrize("path", ["/sessions/123", "/dashboard", "/settings", "/register"])
def test_client_routes_get_the_index(client, built, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert b'<div id="root">' in response.content
    assert response["Cache-Control"] == "no-cache"


@pytest.mark.parametrize("path", ["/api/v1/nope", "/admin/nope/", "/static/nope.css"])
def test_the_api_admin_and_static_keep_their_own_answers(client, built, path):
    response = client.get(path)
    assert response.status_code in (302, 404)  # the admin asks for its login first
    assert b'<div id="root">' not in response.content


def test_without_a_build_it_says_how_to_get_one(client, tmp_path, settings):
    settings.WEB_CLIENT_DIR = tmp_path / "missing"
    response = client.get("/dashboard")
    assert response.status_code == 503
    assert b"npm ci" in response.content and b"/api/v1/" in response.content


def test_hashed_assets_are_cached_for_a_year_and_the_index_is_not(built):
    from whitenoise.middleware import WhiteNoiseMiddleware

    with override_settings(WHITENOISE_ROOT=str(built), WHITENOISE_AUTOREFRESH=False):
        middleware = WhiteNoiseMiddleware(lambda request: None)
        asset = middleware.files["/assets/index-AbCd1234.js"]
        index = middleware.files["/index.html"]
    assert "immutable" in dict(asset.get_response("GET", {}).headers)["Cache-Control"]
    assert "immutable" not in dict(index.get_response("GET", {}).headers).get("Cache-Control", "")
