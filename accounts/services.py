from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import IntegrityError, transaction
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User, normalize_email
from common.authentication import token_user_id
from common.exceptions import ApplicationError, ConflictError


class InvalidCredentialsError(ApplicationError):
    status_code = 401
    code = "INVALID_CREDENTIALS"
    default_detail = "The email address or password is incorrect."


class InvalidRefreshTokenError(ApplicationError):
    status_code = 401
    code = "INVALID_TOKEN"
    default_detail = "The refresh token is invalid or has expired."


def _access_lifetime_seconds() -> int:
    lifetime: timedelta = settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"]
    return int(lifetime.total_seconds())


def user_register(*, email: str, password: str) -> User:
    """Create an account; a taken address (in any letter case) is a 409."""
    email = normalize_email(email)
    if User.objects.filter(email__iexact=email).exists():
        raise ConflictError("An account with this email address already exists.", code="EMAIL_ALREADY_REGISTERED")
    try:
        with transaction.atomic():
            return User.objects.create_user(email=email, password=password)
    except IntegrityError:  # lost a race with a concurrent registration
        raise ConflictError(
            "An account with this email address already exists.", code="EMAIL_ALREADY_REGISTERED"
        ) from None


def user_login(*, request, email: str, password: str) -> dict:
    """Check credentials and issue a token pair. Unknown email and wrong password answer alike."""
    # ModelBackend hashes the password even for an unknown user, so timing tells nothing either.
    user = authenticate(request, username=normalize_email(email), password=password)
    if user is None:
        raise InvalidCredentialsError()
    refresh = RefreshToken.for_user(user)
    return {
        "access_token": str(refresh.access_token),
        "refresh_token": str(refresh),
        "token_type": "bearer",
        "expires_in": _access_lifetime_seconds(),
    }


def token_refresh(*, refresh_token: str) -> dict:
    """A new access token from a valid refresh token of a still-active user."""
    try:
        refresh = RefreshToken(refresh_token)
    except TokenError:
        raise InvalidRefreshTokenError() from None
    try:
        user_id = token_user_id(refresh.payload)
    except InvalidToken:
        raise InvalidRefreshTokenError() from None
    if not User.objects.filter(pk=user_id, is_active=True).exists():
        raise InvalidRefreshTokenError()
    return {
        "access_token": str(refresh.access_token),
        "token_type": "bearer",
        "expires_in": _access_lifetime_seconds(),
    }
