from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from accounts import services
from accounts.serializers import (
    AccessTokenSerializer,
    LoginInputSerializer,
    RefreshInputSerializer,
    RegisterInputSerializer,
    TokenPairSerializer,
    UserSerializer,
)


class AuthViewSet(viewsets.GenericViewSet):
    """Registration and JWT issuance. No authentication needed (or read) here."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=RegisterInputSerializer, responses={201: UserSerializer})
    @action(detail=False, methods=["post"])
    def register(self, request):
        data = RegisterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_register(**data.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=LoginInputSerializer, responses={200: TokenPairSerializer})
    @action(detail=False, methods=["post"])
    def login(self, request):
        data = LoginInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tokens = services.user_login(request=request, **data.validated_data)
        return Response(TokenPairSerializer(tokens).data)

    @extend_schema(request=RefreshInputSerializer, responses={200: AccessTokenSerializer})
    @action(detail=False, methods=["post"])
    def refresh(self, request):
        data = RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tokens = services.token_refresh(**data.validated_data)
        return Response(AccessTokenSerializer(tokens).data)


class UserViewSet(viewsets.GenericViewSet):
    serializer_class = UserSerializer

    @action(detail=False, methods=["get"])
    def me(self, request):
        return Response(UserSerializer(request.user).data)
