import uuid

from django.db.models import QuerySet

from accounts.models import User
from operations.models import Operation
from operations.serializers import FIELDS


def operation_list(*, user: User) -> QuerySet[Operation]:
    return Operation.objects.filter(user=user)


def operation_row(*, user, operation_id) -> dict | None:
    """One of the user's operations as a row of the API's fields (None: unknown, not theirs, or not a UUID)."""
    try:
        operation_id = uuid.UUID(str(operation_id))
    except ValueError:
        return None
    return Operation.objects.filter(pk=operation_id, user_id=user.pk).values(*FIELDS).first()
