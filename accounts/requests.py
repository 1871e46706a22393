"""The signed-in user of a request, as the type checker should see it."""

from __future__ import annotations

from typing import cast

from django.http import HttpRequest

from accounts.models import User


def request_user(request: HttpRequest) -> User:
    """``request.user`` on an endpoint behind ``IsAuthenticated`` (the API's default permission):
    never anonymous there, and always an ``accounts.User`` (the authentication loads only those)."""
    return cast(User, request.user)
