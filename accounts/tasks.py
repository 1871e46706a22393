"""Periodic housekeeping of accounts (celery beat)."""

from celery import shared_task
from django.core.management import call_command


@shared_task(name="accounts.tasks.flush_expired_tokens_task", ignore_result=True, acks_late=False)
def flush_expired_tokens_task() -> None:
    """Delete expired refresh tokens (and their blacklist entries): simplejwt's flushexpiredtokens."""
    call_command("flushexpiredtokens")
