import logging
from datetime import timedelta

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import ModelApiKey, User
from common import crypto
from common.authentication import TOKEN_VERSION_CLAIM, forget_user, token_user_id
from common.emails import normalize_email
from common.exceptions import INVALID_TOKEN, VALIDATION_ERROR, ApplicationError, ConflictError, ProblemCode
from llm import Credentials, LLMError, LLMErrorCode, service_credentials
from llm.errors import KINDS
from llm.keys import validate_key

logger = logging.getLogger(__name__)

EMAIL_ALREADY_REGISTERED = ProblemCode(
    "EMAIL_ALREADY_REGISTERED",
    409,
    when="an account with this email address (in any letter case) exists",
    example="An account with this email address already exists.",
)
INVALID_CREDENTIALS = ProblemCode(
    "INVALID_CREDENTIALS",
    401,
    when="unknown email address or wrong password (the same answer for both); 400 on a password change",
    example="The email address or password is incorrect.",
)


class InvalidCredentialsError(ApplicationError):
    status_code = 401
    code = INVALID_CREDENTIALS
    default_detail = "The email address or password is incorrect."


class InvalidRefreshTokenError(ApplicationError):
    status_code = 401
    code = INVALID_TOKEN
    default_detail = "The refresh token is invalid or has expired."


def _access_lifetime_seconds() -> int:
    lifetime: timedelta = settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"]
    return int(lifetime.total_seconds())


def user_register(*, email: str, password: str) -> User:
    """Create an account; a taken address (in any letter case) is a 409."""
    email = normalize_email(email)
    if User.objects.filter(email__iexact=email).exists():
        raise ConflictError(EMAIL_ALREADY_REGISTERED.example, code=EMAIL_ALREADY_REGISTERED)
    try:
        with transaction.atomic():
            return User.objects.create_user(email=email, password=password)
    except IntegrityError:  # lost a race with a concurrent registration
        raise ConflictError(EMAIL_ALREADY_REGISTERED.example, code=EMAIL_ALREADY_REGISTERED) from None


def tokens_issue(user: User) -> dict:
    """A new refresh token (recorded as outstanding, so it can be revoked) and its access token."""
    refresh = RefreshToken.for_user(user)
    refresh[TOKEN_VERSION_CLAIM] = user.token_version  # copied into the access token
    return {
        "access_token": str(refresh.access_token),
        "refresh_token": str(refresh),
        "token_type": "bearer",
        "expires_in": _access_lifetime_seconds(),
    }


def user_login(*, request, email: str, password: str) -> dict:
    """Check credentials and issue a token pair. Unknown email and wrong password answer alike."""
    # ModelBackend hashes the password even for an unknown user, so timing tells nothing either.
    user = authenticate(request, username=normalize_email(email), password=password)
    if user is None:
        raise InvalidCredentialsError()
    return tokens_issue(user)


def _valid_refresh(refresh_token: str) -> RefreshToken:
    """The refresh token if its signature, expiry and blacklist entry allow it; 401 INVALID_TOKEN otherwise."""
    try:
        # Verifies the signature, the expiry and the blacklist. simplejwt annotates the encoded token as a Token.
        refresh = RefreshToken(refresh_token)  # type: ignore[arg-type]
        token_user_id(refresh.payload)
    except (TokenError, InvalidToken):
        raise InvalidRefreshTokenError() from None
    return refresh


def token_refresh(*, refresh_token: str) -> dict:
    """Rotate: a new token pair for a valid refresh token, which stops working at once.

    One use per refresh token even under concurrent requests: its outstanding row is locked,
    so a second use of the same token finds it blacklisted (a stolen copy used after the
    owner refreshed, or the other way round, is refused). A token issued before the user's
    last password change, or of an inactive user, is refused too.
    """
    refresh = _valid_refresh(refresh_token)
    with transaction.atomic():
        # of=self and no ordering: the model orders by its nullable user (an outer join FOR UPDATE refuses).
        rows = OutstandingToken.objects.select_for_update(of=("self",)).order_by()
        outstanding = rows.filter(jti=refresh["jti"]).first()
        if outstanding is None or BlacklistedToken.objects.filter(token=outstanding).exists():
            raise InvalidRefreshTokenError()
        user = User.objects.filter(pk=token_user_id(refresh.payload), is_active=True).first()
        if user is None or refresh.get(TOKEN_VERSION_CLAIM, 0) != user.token_version:
            raise InvalidRefreshTokenError()
        BlacklistedToken.objects.create(token=outstanding)
        return tokens_issue(user)


def token_logout(*, refresh_token: str) -> None:
    """Revoke a refresh token (its access tokens expire on their own within minutes)."""
    refresh = _valid_refresh(refresh_token)
    refresh.blacklist()


def _revoke_all_tokens(user: User) -> None:
    """Every refresh token of the user blacklisted, every access token outdated (token_version)."""
    User.objects.filter(pk=user.pk).update(token_version=F("token_version") + 1)
    user.refresh_from_db(fields=["token_version"])
    transaction.on_commit(lambda: forget_user(user.pk))
    forget_user(user.pk)
    outstanding = OutstandingToken.objects.filter(user=user).exclude(blacklistedtoken__isnull=False)
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token=t) for t in outstanding], ignore_conflicts=True)


class AccountDeleteError(ApplicationError):
    status_code = 400


# accounts is the lowest app that answers it (an account with a running operation); interviews reuses it.
OPERATION_IN_PROGRESS = ProblemCode(
    "OPERATION_IN_PROGRESS",
    409,
    when="one of its operations is pending or processing; cancel it first",
    example="An AI request is still running here. Cancel it first, or wait for it to finish.",
)


class OperationInProgressError(ConflictError):
    code = OPERATION_IN_PROGRESS
    default_detail = OPERATION_IN_PROGRESS.example


@transaction.atomic
def user_delete(*, user: User, password: str) -> None:
    """Delete the account and every row it owns: résumé, postings, sessions with their messages,
    feedback and operations, the stored model key, its refresh tokens. Its tokens stop working at
    once (no user to find). 409 OPERATION_IN_PROGRESS while one of its operations runs."""
    if not user.check_password(password):
        raise AccountDeleteError("The password is incorrect.", code=INVALID_CREDENTIALS)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.operations.filter(status__in=("pending", "processing")).exists():
        raise OperationInProgressError()
    # simplejwt keeps refresh tokens with a nullable user (SET_NULL): they go explicitly, their
    # blacklist entries with them. So do the admin-login records django-axes keeps by username.
    OutstandingToken.objects.filter(user=user).delete()
    AccessAttempt.objects.filter(username=user.email).delete()
    AccessLog.objects.filter(username=user.email).delete()
    AccessFailureLog.objects.filter(username=user.email).delete()
    logger.info("account %s deleted", user.pk)
    user_id = user.pk
    user.delete()
    forget_user(user_id)
    transaction.on_commit(lambda: forget_user(user_id))


class PasswordChangeError(ApplicationError):
    status_code = 400


@transaction.atomic
def user_password_change(*, user: User, current_password: str, new_password: str) -> None:
    """Change the password; every token issued before stops working (refresh and access alike)."""
    if not user.check_password(current_password):
        raise PasswordChangeError("The current password is incorrect.", code=INVALID_CREDENTIALS)
    try:
        validate_password(new_password, user=user)
    except DjangoValidationError as exc:
        messages = list(exc.messages)
        raise PasswordChangeError(
            messages[0] if len(messages) == 1 else "The new password is not acceptable.",
            code=VALIDATION_ERROR,
            errors=[{"field": "new_password", "message": m} for m in messages],
        ) from None
    user.set_password(new_password)
    user.save(update_fields=["password"])
    _revoke_all_tokens(user)


# Users' own model keys ---------------------------------------------------------------------


class ModelKeyError(ApplicationError):
    status_code = 400


AI_KEY_REJECTED = ProblemCode(
    "AI_KEY_REJECTED",
    400,
    when="the model provider refused the key (401/403); nothing was stored",
    example="The AI provider rejected this key. Check that it is complete and still active.",
)
AI_UNAVAILABLE = ProblemCode(
    LLMErrorCode.UNAVAILABLE,
    503,
    when="the model provider could not be reached to check the key; nothing was stored",
    example="The AI provider cannot be reached to check this key. Nothing was stored; please try again later.",
)


def model_key_set(*, user: User, api_key: str) -> ModelApiKey:
    """Check the key with one cheap provider call, then store it encrypted (replacing any other).

    Nothing is stored unless the provider accepted it: 400 AI_KEY_REJECTED when it answers
    401/403, 503 AI_UNAVAILABLE when it cannot be reached. The key never reaches a log line
    or an error message.
    """
    try:
        validate_key(api_key)
    except LLMError as exc:
        if exc.code == LLMErrorCode.AUTH_FAILED:
            raise ModelKeyError(
                "The AI provider rejected this key. Check that it is complete and still active.",
                code=AI_KEY_REJECTED,
            ) from None
        raise ModelKeyError(
            "The AI provider cannot be reached to check this key. Nothing was stored; please try again later.",
            code=AI_UNAVAILABLE,
            status_code=503,
            headers={"Retry-After": "30"},
        ) from None
    key, _created = ModelApiKey.objects.update_or_create(
        user=user,
        defaults={"encrypted_key": crypto.encrypt(api_key), "key_hint": api_key[-4:], "validated_at": timezone.now()},
    )
    logger.info("model key stored for user %s (hint ...%s)", user.pk, key.key_hint)
    return key


def model_key_delete(*, user: User) -> None:
    """Forget the user's key; their operations run on the service's key again."""
    ModelApiKey.objects.filter(user=user).delete()


def model_credentials(*, user: User) -> Credentials | None:
    """The key a model call for ``user`` runs on: their own when they stored one, else the service's."""
    stored = ModelApiKey.objects.filter(user=user).values_list("encrypted_key", flat=True).first()
    if stored is not None:
        try:
            return Credentials(crypto.decrypt(stored), "user")
        except crypto.InvalidToken:
            # FIELD_ENCRYPTION_KEY lost the key it was stored under: an operator's mistake. The
            # user's key is unusable; their work fails AI_AUTH_FAILED ("update your key").
            logger.error("model key of user %s cannot be decrypted with FIELD_ENCRYPTION_KEY", user.pk)
            raise LLMError(LLMErrorCode.AUTH_FAILED, cause="undecryptable stored key", key_kind="user") from None
    return service_credentials()


AI_NOT_CONFIGURED = ProblemCode(
    LLMErrorCode.NOT_CONFIGURED,
    400,
    when="no model key is configured, neither the service's nor yours; nothing was created",
    example=KINDS[LLMErrorCode.NOT_CONFIGURED].message,
)


class ModelNotConfiguredError(ApplicationError):
    """No model key for the user's work (see :func:`model_available`): an AI request is refused before it is queued."""

    status_code = 400
    code = AI_NOT_CONFIGURED
    default_detail = KINDS[LLMErrorCode.NOT_CONFIGURED].message


def model_available(*, user: User) -> bool:
    """A model key exists for the user's work (the service's, or their own): AI_NOT_CONFIGURED otherwise."""
    return bool(service_credentials()) or ModelApiKey.objects.filter(user=user).exists()


def model_keys_reencrypt() -> int:
    """Re-encrypt every stored key under the newest FIELD_ENCRYPTION_KEY (after a rotation). Returns the count."""
    count = 0
    for pk in ModelApiKey.objects.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            key = ModelApiKey.objects.select_for_update().filter(pk=pk).first()
            if key is None:  # deleted meanwhile
                continue
            ModelApiKey.objects.filter(pk=pk).update(encrypted_key=crypto.rotate(key.encrypted_key))
        count += 1
    return count
