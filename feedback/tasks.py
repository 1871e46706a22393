"""The worker side of feedback generation. Thin: the shared operation runner calls the services."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task

from feedback import services
from operations.runner import TASK_OPTIONS, run_operation


@shared_task(name="feedback.tasks.generate_feedback_task", **TASK_OPTIONS)
def generate_feedback_task(self: Task[Any, Any], operation_id: str, attempt: int | None = None) -> str:
    """Analyse one session and store its feedback. Safe to run twice: only one run holds the claim."""
    return run_operation(
        self,
        operation_id=operation_id,
        attempt=attempt,
        prepare=services.feedback_prepare,
        store=services.feedback_store,
    )
