"""Fixtures shared by the whole suite. Tests run against real PostgreSQL and Redis."""

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from tests.factories import UserFactory


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def auth_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
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
