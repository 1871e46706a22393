import uuid
from typing import ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from common.emails import normalize_email


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        # Login is case-insensitive: "Ann@Example.com" and "ann@example.com" are one account.
        return self.get(email__iexact=username)

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A candidate (or staff member). Logs in with an email address; UUID primary key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Stored lower-cased (normalize_email); unique=True satisfies auth.E003 and the
    # lower(email) constraint below guards rows written around the manager.
    email = models.EmailField(max_length=254, unique=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Carried in every token ("ver"); a password change bumps it, so tokens issued before stop
    # working at once - access tokens included, not only the (blacklisted) refresh tokens.
    token_version = models.PositiveIntegerField(default=0, db_default=0)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        db_table = "users"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="users_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email


class ModelApiKey(models.Model):
    """A user's own key for the model provider, encrypted at rest (common/crypto.py).

    Never shown anywhere: responses, the admin and logs see ``key_hint`` (its last four
    characters) only. Their operations run on it instead of the service's key.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, primary_key=True, related_name="model_api_key")
    encrypted_key = models.TextField()
    key_hint = models.CharField(max_length=4)
    # When one provider call with it last succeeded (PUT /users/me/api-key).
    validated_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "model_api_keys"
        constraints = [models.CheckConstraint(condition=~models.Q(encrypted_key=""), name="model_api_keys_not_empty")]

    def __str__(self) -> str:
        return f"Model key …{self.key_hint} of {self.user_id}"
