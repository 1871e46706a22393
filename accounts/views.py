from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from accounts import services
from accounts.models import ModelApiKey
from accounts.serializers import (
    AccountDeleteInputSerializer,
    ApiKeyInputSerializer,
    ApiKeyStatusSerializer,
    LoginInputSerializer,
    PasswordChangeInputSerializer,
    RefreshInputSerializer,
    RegisterInputSerializer,
    TokenPairSerializer,
    UserSerializer,
)
from accounts.services import (
    AI_KEY_REJECTED,
    AI_UNAVAILABLE,
    EMAIL_ALREADY_REGISTERED,
    INVALID_CREDENTIALS,
    OPERATION_IN_PROGRESS,
)
from common.exceptions import INVALID_TOKEN
from common.schema import delete_body, problem_codes
from common.throttling import (
    LoginAddressRateThrottle,
    LoginEmailRateThrottle,
    PasswordChangeRateThrottle,
    RefreshAddressRateThrottle,
    RegisterAddressRateThrottle,
)


class AuthViewSet(viewsets.GenericViewSet):
    """Registration and JWT issuance. No authentication needed (or read) here."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=RegisterInputSerializer, responses={201: UserSerializer})
    @problem_codes(EMAIL_ALREADY_REGISTERED)
    @action(detail=False, methods=["post"], throttle_classes=[RegisterAddressRateThrottle])
    def register(self, request):
        """Create an account (password: 8 characters or more, not a common one). Then log in."""
        data = RegisterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_register(**data.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=LoginInputSerializer, responses={200: TokenPairSerializer})
    @problem_codes(INVALID_CREDENTIALS)
    # Per address first: a body that cannot be parsed still counts against the address.
    @action(detail=False, methods=["post"], throttle_classes=[LoginAddressRateThrottle, LoginEmailRateThrottle])
    def login(self, request):
        """Exchange email and password for an access token (`expires_in` seconds) and a refresh token."""
        data = LoginInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tokens = services.user_login(request=request, **data.validated_data)
        return Response(TokenPairSerializer(tokens).data)

    @extend_schema(request=RefreshInputSerializer, responses={200: TokenPairSerializer})
    @problem_codes(INVALID_TOKEN)
    @action(detail=False, methods=["post"], throttle_classes=[RefreshAddressRateThrottle])
    def refresh(self, request):
        """A new token pair from a refresh token, which stops working at once (rotation).

        401 `INVALID_TOKEN` for a refresh token that is expired, already used, logged out or
        revoked by a password change: log in again.
        """
        data = RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tokens = services.token_refresh(**data.validated_data)
        return Response(TokenPairSerializer(tokens).data)

    @extend_schema(request=RefreshInputSerializer, responses={204: None})
    @problem_codes(INVALID_TOKEN)
    @action(detail=False, methods=["post"], throttle_classes=[RefreshAddressRateThrottle])
    def logout(self, request):
        """Revoke a refresh token: it stops working at once (access tokens expire within minutes)."""
        data = RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.token_logout(**data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserViewSet(viewsets.GenericViewSet):
    serializer_class = UserSerializer

    @action(detail=False, methods=["get"])
    def me(self, request):
        """The logged-in user."""
        return Response(UserSerializer(request.user).data)

    @extend_schema(responses={204: None})
    @delete_body(AccountDeleteInputSerializer)
    @problem_codes(INVALID_CREDENTIALS, OPERATION_IN_PROGRESS, status={INVALID_CREDENTIALS: 400})
    @me.mapping.delete
    def me_delete(self, request):
        """Delete your account and everything it owns: résumé, postings, sessions, feedback, operations,
        your model key. Your tokens stop working at once. 400 `INVALID_CREDENTIALS` for a wrong password;
        409 `OPERATION_IN_PROGRESS` while one of your operations runs (cancel it first)."""
        data = AccountDeleteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_delete(user=request.user, password=data.validated_data["password"])
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=PasswordChangeInputSerializer, responses={204: None})
    @problem_codes(INVALID_CREDENTIALS, status={INVALID_CREDENTIALS: 400})
    @action(detail=False, methods=["post"], url_path="me/password", throttle_classes=[PasswordChangeRateThrottle])
    def password(self, request):
        """Change your password. Every token issued before stops working, this one included: log in again.

        400 `INVALID_CREDENTIALS` when `current_password` is wrong; 400 `VALIDATION_ERROR` when the
        new one is not acceptable (8 characters or more, not a common one, not like your email).
        """
        data = PasswordChangeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_password_change(user=request.user, **data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={200: ApiKeyStatusSerializer})
    @action(detail=False, methods=["get"], url_path="me/api-key")
    def api_key(self, request):
        """Whether you stored your own model key (only its last four characters are ever shown)."""
        key = ModelApiKey.objects.filter(user=request.user).first()
        return Response(ApiKeyStatusSerializer(ApiKeyStatusSerializer.of(key)).data)

    @extend_schema(request=ApiKeyInputSerializer, responses={200: ApiKeyStatusSerializer})
    @problem_codes(AI_KEY_REJECTED, AI_UNAVAILABLE)
    @api_key.mapping.put
    def api_key_put(self, request):
        """Store your own model key: your analyses and questions then run on it (and are billed to you).

        It is checked first with one cheap call to the provider: 400 `AI_KEY_REJECTED` if the provider
        refuses it, 503 `AI_UNAVAILABLE` if it cannot be reached (nothing is stored). Encrypted at rest.
        """
        data = ApiKeyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key = services.model_key_set(user=request.user, api_key=data.validated_data["api_key"])
        return Response(ApiKeyStatusSerializer(ApiKeyStatusSerializer.of(key)).data)

    @extend_schema(responses={204: None})
    @api_key.mapping.delete
    def api_key_delete(self, request):
        """Forget your key: your work runs on the service's key again."""
        services.model_key_delete(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
