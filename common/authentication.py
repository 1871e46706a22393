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


class JWTAuthentication(authentication.JWTAuthentication):
    """simplejwt's authentication, answering 401 (not 500) for a signed token whose user id is not a UUID."""

    def get_user(self, validated_token):
        token_user_id(validated_token)
        return super().get_user(validated_token)
