from django.db.models import QuerySet

from accounts.models import User
from operations.models import Operation


def operation_list(*, user: User) -> QuerySet[Operation]:
    return Operation.objects.filter(user=user)
