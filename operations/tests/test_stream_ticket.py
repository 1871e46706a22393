"""POST /operations/{id}/stream-ticket, and the ticket on /events under WSGI (one event, then the browser polls)."""

import pytest

from conftest import auth_client
from tests.factories import OperationFactory

pytestmark = pytest.mark.django_db


def test_a_ticket_for_your_operation(client_a, user):
    op = OperationFactory(user=user)
    response = client_a.post(f"/api/v1/operations/{op.pk}/stream-ticket")
    assert response.status_code == 201
    assert set(response.json()) == {"ticket", "expires_in"}
    assert response.json()["expires_in"] == 60


def test_no_ticket_for_someone_elses_operation(client_b, user):
    op = OperationFactory(user=user)
    assert client_b.post(f"/api/v1/operations/{op.pk}/stream-ticket").status_code == 404


def test_the_ticket_opens_events_under_wsgi_too(api_client, user):
    op = OperationFactory(user=user, processing=True)
    ticket = auth_client(user).post(f"/api/v1/operations/{op.pk}/stream-ticket").json()["ticket"]

    response = api_client.get(f"/api/v1/operations/{op.pk}/events", {"ticket": ticket})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/event-stream")
    text = response.content.decode()
    assert text.startswith("retry: 2000\nevent: operation\nid: processing\ndata: {")


def test_the_ticket_is_refused_elsewhere_under_wsgi(api_client, user):
    op = OperationFactory(user=user)
    other = OperationFactory(user=user)
    ticket = auth_client(user).post(f"/api/v1/operations/{op.pk}/stream-ticket").json()["ticket"]

    assert api_client.get(f"/api/v1/operations/{other.pk}/events", {"ticket": ticket}).status_code == 401
    assert api_client.get(f"/api/v1/operations/{op.pk}", {"ticket": ticket}).status_code == 401
    assert api_client.post(f"/api/v1/operations/{op.pk}/cancel?ticket={ticket}").status_code == 401
