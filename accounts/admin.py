from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.hashers import identify_hasher
from django.utils.html import format_html
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import ModelApiKey, User
from common.authentication import forget_user

# simplejwt's blacklist admin pages list every refresh token in full: credentials, not for a page.
for _model in (OutstandingToken, BlacklistedToken):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    # No part of the password hash is ever shown. Django's default password field
    # (ReadOnlyPasswordHashField) prints the algorithm, iterations and the first six
    # characters of the salt and of the hash; harmless alone, but a hash prefix is still
    # material about a secret, and an operator needs none of it. The change page shows
    # `password_status` instead: whether a usable password is set, its algorithm, and the link
    # to Django's set-password form (the only place that touches the hash).
    list_display = ["email", "is_staff", "is_active", "created_at"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["email"]
    ordering = ["-created_at"]
    readonly_fields = ["id", "password_status", "model_key", "owns", "created_at", "last_login"]
    fieldsets = [
        (None, {"fields": ["id", "email", "password_status", "model_key", "owns"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["created_at", "last_login"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        forget_user(obj.pk)  # a deactivation takes effect at once, not when the cached user lapses

    def delete_model(self, request, obj):
        user_id = obj.pk
        super().delete_model(request, obj)
        forget_user(user_id)

    @admin.display(description="password")
    def password_status(self, obj):
        if not obj.has_usable_password():
            status, label = "No usable password.", "Set password"
        else:
            try:
                status, label = f"Set ({identify_hasher(obj.password).algorithm}).", "Reset password"
            except ValueError:
                status, label = "Set (unknown algorithm).", "Reset password"
        return format_html('{} <a class="button" href="{}">{}</a>', status, "../password/", label)

    @admin.display(description="own model key")
    def model_key(self, obj):
        # The hint only: the key itself is never shown (nor decrypted) here.
        key = ModelApiKey.objects.filter(user=obj).only("key_hint", "validated_at").first()
        if key is None:
            return "None (the service's key is used)"
        return f"…{key.key_hint}, last accepted by the provider {key.validated_at:%Y-%m-%d %H:%M} UTC"

    @admin.display(description="owns")
    def owns(self, obj):
        # Through the reverse relations' names: accounts imports no app that builds on it.
        counts = [
            ("job postings", obj.job_postings.count()),
            ("sessions", obj.interview_sessions.count()),
            ("feedback", obj.interview_sessions.filter(feedback__isnull=False).count()),
            ("operations", obj.operations.count()),
            ("résumé", int(hasattr(obj, "resume"))),
        ]
        return ", ".join(f"{n} {label}" for label, n in counts)
