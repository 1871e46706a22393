from celery import shared_task

from operations.recovery import operations_recover


@shared_task(name="operations.tasks.recover_operations_task", ignore_result=True, acks_late=False)
def recover_operations_task() -> dict[str, int]:
    """Periodic (celery beat): re-dispatch stuck operations, fail the ones that keep dying."""
    result = operations_recover()
    return {
        "pending": len(result.redispatched_pending),
        "processing": len(result.redispatched_processing),
        "worker_lost": len(result.failed_worker_lost),
    }
