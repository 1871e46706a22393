import uuid

from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings


def token_user_id(payload) -> str:
    """The token's user id as a UUID string; InvalidToken if missing or not a UUID."""
    try:
        return str(uuid.UUID(str(payload[api_settings.USER_ID_CLAIM])))
    except (KeyError, ValueError, TypeError):
        raise InvalidToken("Token contained no recognizable user identification") from None


# The user's token version the token carries (accounts.services issues it): a password change
# bumps the user's, and every token issued before stops working at once.
TOKEN_VERSION_CLAIM = "ver"


class JWTAuthentication(authentication.JWTAuthentication):
    """simplejwt's authentication, answering 401 (not 500) for a signed token whose user id is not a
    UUID, and for a token older than its user's last password change."""

    def get_user(self, validated_token):
        token_user_id(validated_token)
        user = super().get_user(validated_token)
        if validated_token.get(TOKEN_VERSION_CLAIM, 0) != getattr(user, "token_version", 0):
            raise InvalidToken("Token was revoked")
        return user
