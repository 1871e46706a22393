"""Operation types: which apps run work on the Operation machinery, and how.

``operations/`` knows statuses, claims, leases, fencing, recovery, waiting, retry and cancel,
and nothing of what the work is. Each app that runs work registers its type from its own
``AppConfig.ready()``::

    registry.register(OperationType(
        name="feedback_analysis",
        task="feedback.tasks.generate_feedback_task",
        retry=feedback_retry,                 # asks again through the original endpoint's service
        result_serializer=FeedbackSerializer,  # what `result` holds once completed
    ))

so ``operations/`` never imports the apps whose work it tracks, and a new type touches no
existing app.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rest_framework.utils.encoders import JSONEncoder

if TYPE_CHECKING:  # typing only: the model module imports this one
    from rest_framework.serializers import Serializer

    from operations.models import Operation


@dataclass(frozen=True)
class OperationType:
    """One kind of work an Operation can track."""

    #: Stored in ``Operation.operation_type`` and shown to clients.
    name: str
    #: The Celery task that runs it, by name; it is called with ``(operation_id, attempt)``.
    task: str
    #: Ask again for what a failed operation did not produce, through the same service (and
    #: checks) as the original endpoint: ``retry(operation) -> (operation, created)``.
    retry: Callable[[Operation], tuple[Operation, bool]]
    #: Serializes the domain object a completed run produced into ``Operation.result``; also
    #: documents ``result`` in the OpenAPI schema.
    result_serializer: type[Serializer[Any]]
    #: A short human label (admin).
    label: str = ""
    #: Error codes of this type that asking again cannot cure (409 OPERATION_NOT_RETRYABLE).
    not_retryable: frozenset[str] = field(default_factory=frozenset)
    #: The original endpoint's own error codes, which a retry can answer too (OpenAPI).
    request_codes: tuple[str, ...] = ()
    #: An example of ``result`` once completed (OpenAPI).
    result_example: dict[str, Any] | None = None

    def serialize_result(self, instance: Any) -> dict[str, Any]:
        """The result exactly as the API renders it (JSON-safe: UUIDs and datetimes as strings)."""
        result: dict[str, Any] = json.loads(json.dumps(self.result_serializer(instance).data, cls=JSONEncoder))
        return result


_types: dict[str, OperationType] = {}


class UnknownOperationTypeError(LookupError):
    pass


def register(operation_type: OperationType) -> OperationType:
    """Add a type (idempotent for the same definition; a different one under a taken name is a bug)."""
    existing = _types.get(operation_type.name)
    if existing is not None and existing != operation_type:
        raise ValueError(f"operation type {operation_type.name!r} is already registered differently")
    _types[operation_type.name] = operation_type
    return operation_type


def unregister(name: str) -> None:
    """Remove a type (tests that register a type of their own)."""
    _types.pop(name, None)


def get(name: str) -> OperationType:
    try:
        return _types[name]
    except KeyError:
        raise UnknownOperationTypeError(name) from None


def all_types() -> list[OperationType]:
    return sorted(_types.values(), key=lambda t: t.name)


def names() -> list[str]:
    return sorted(_types)


def choices() -> list[tuple[str, str]]:
    """``(name, label)`` pairs: model field, filter and OpenAPI enum choices (read lazily)."""
    return [(t.name, t.label or t.name) for t in all_types()]
