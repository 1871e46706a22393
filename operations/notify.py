"""Publishing operation status changes (PostgreSQL NOTIFY), for clients waiting on them.

A NOTIFY issued inside a transaction is delivered when - and only if - it commits, so a
waiter is woken exactly when the new status is visible. On other databases (the local
SQLite default) nothing is published and waiters fall back to polling.
"""

from __future__ import annotations

import uuid

from django.db import connection

CHANNEL = "operation_status"


def notify_status(*, operation_id: uuid.UUID | str, status: str) -> None:
    """Queue a notification in the current transaction (call it inside ``transaction.atomic``)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, f"{operation_id}:{status}"])
