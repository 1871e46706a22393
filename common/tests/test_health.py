import pytest
from celery import current_app

from tests.processes import free_port

pytestmark = pytest.mark.django_db


def test_healthz_needs_nothing(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_ok_with_database_and_broker(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


def test_readyz_names_the_dead_database(client, monkeypatch):
    from django.db.backends.utils import CursorWrapper

    def refuse(*args, **kwargs):
        from django.db import OperationalError

        raise OperationalError("connection to 10.0.0.5 failed: password authentication failed")

    monkeypatch.setattr(CursorWrapper, "execute", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"] == {"database": "unavailable", "broker": "ok"}
    assert "10.0.0.5" not in response.content.decode()


def test_readyz_names_the_dead_broker(client, monkeypatch):
    dead = f"redis://:hunter2-secret@127.0.0.1:{free_port()}/0"
    real = current_app.connection_for_write
    monkeypatch.setattr(current_app, "connection_for_write", lambda: real(dead))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "SERVICE_UNAVAILABLE"
    assert body["checks"] == {"database": "ok", "broker": "unavailable"}
    assert "hunter2" not in response.content.decode()
