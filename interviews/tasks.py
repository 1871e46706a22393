"""The worker side of the AI interviewer. Thin: the shared operation runner calls the services."""

from celery import shared_task

from interviews import services
from operations.runner import TASK_OPTIONS, run_operation


@shared_task(name="interviews.tasks.generate_question_task", **TASK_OPTIONS)
def generate_question_task(self, operation_id: str, attempt: int | None = None) -> str:
    """Generate a session's next question and store it. Safe to run twice: only one run holds the claim."""
    return run_operation(
        self,
        operation_id=operation_id,
        attempt=attempt,
        prepare=services.question_prepare,
        store=services.question_store,
    )
