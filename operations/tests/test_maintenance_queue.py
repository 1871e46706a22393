"""The periodic upkeep has a queue of its own, which every worker consumes (config/settings/base.py)."""

import pytest
import redis
from django.conf import settings

from accounts.tasks import flush_expired_tokens_task
from operations.tasks import recover_operations_task
from tests.processes import running_worker

QUEUES = (settings.CELERY_TASK_DEFAULT_QUEUE, settings.MAINTENANCE_QUEUE)


@pytest.fixture
def broker():
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(*QUEUES)
    yield client
    client.delete(*QUEUES)


def test_the_sweeps_are_published_apart_from_a_backlog_of_operations(broker):
    backlog = [b"an operation task"] * 500
    broker.lpush(settings.CELERY_TASK_DEFAULT_QUEUE, *backlog)

    recover_operations_task.apply_async()
    flush_expired_tokens_task.apply_async()

    assert broker.llen(settings.CELERY_TASK_DEFAULT_QUEUE) == len(backlog)  # nothing joined the backlog
    upkeep = broker.lrange(settings.MAINTENANCE_QUEUE, 0, -1)
    assert len(upkeep) == 2
    assert any(b"operations.tasks.recover_operations_task" in m for m in upkeep)
    assert any(b"accounts.tasks.flush_expired_tokens_task" in m for m in upkeep)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_started_as_the_procfile_starts_it_runs_the_sweep(broker):
    with running_worker(concurrency=1) as worker:
        recover_operations_task.apply_async()
        worker.wait_log("operations.tasks.recover_operations_task[", timeout=30)
        worker.wait_log("succeeded", timeout=30)
    assert broker.llen(settings.MAINTENANCE_QUEUE) == 0
