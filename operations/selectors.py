from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from accounts.models import User
from operations.models import Operation
from operations.serializers import FIELDS


def operation_list(*, user: User) -> QuerySet[Operation]:
    return Operation.objects.filter(user=user)


def operation_row(*, user: User, operation_id: object) -> dict[str, Any] | None:
    """One of the user's operations as a row of the API's fields (None: unknown, not theirs, or not a UUID)."""
    try:
        pk = uuid.UUID(str(operation_id))
    except ValueError:
        return None
    row: dict[str, Any] | None = Operation.objects.filter(pk=pk, user_id=user.pk).values(*FIELDS).first()
    return row
