from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from accounts.models import User
from common.fields import StrictCharField


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "created_at"]
        read_only_fields = fields


class RegisterInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = StrictCharField(max_length=128, write_only=True, trim_whitespace=False)

    def validate_password(self, value: str) -> str:
        # A field validator (not validate()), so a bad email and a bad password are reported together.
        email = self.initial_data.get("email") if isinstance(self.initial_data, dict) else None
        try:
            validate_password(value, user=User(email=email if isinstance(email, str) else ""))
        except DjangoValidationError as exc:
            raise serializers.ValidationError(list(exc.messages)) from None
        return value


class LoginInputSerializer(serializers.Serializer):
    email = StrictCharField(max_length=254)
    password = StrictCharField(max_length=128, write_only=True, trim_whitespace=False)


class TokenPairSerializer(serializers.Serializer):
    access_token = serializers.CharField()
    refresh_token = serializers.CharField()
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField()


class RefreshInputSerializer(serializers.Serializer):
    refresh_token = StrictCharField(max_length=4096)


class PasswordChangeInputSerializer(serializers.Serializer):
    current_password = StrictCharField(max_length=128, write_only=True, trim_whitespace=False)
    new_password = StrictCharField(max_length=128, write_only=True, trim_whitespace=False)


class ApiKeyInputSerializer(serializers.Serializer):
    """A model provider key: printable, no spaces inside, at most 512 characters (surrounding spaces dropped)."""

    api_key = StrictCharField(max_length=512, write_only=True, trim_whitespace=True)

    def validate_api_key(self, value: str) -> str:
        if any(ch.isspace() or not ch.isprintable() for ch in value):
            raise serializers.ValidationError("A key has no spaces or control characters inside it.")
        return value


class ApiKeyStatusSerializer(serializers.Serializer):
    """Whether you stored a key; its last four characters; when the provider last accepted it."""

    configured = serializers.BooleanField()
    key_hint = serializers.CharField(allow_null=True, help_text="`…` and the key's last four characters.")
    validated_at = serializers.DateTimeField(allow_null=True)

    @staticmethod
    def of(key) -> dict:
        if key is None:
            return {"configured": False, "key_hint": None, "validated_at": None}
        return {"configured": True, "key_hint": f"…{key.key_hint}", "validated_at": key.validated_at}


class AccountDeleteInputSerializer(serializers.Serializer):
    password = StrictCharField(max_length=128, write_only=True, trim_whitespace=False)
