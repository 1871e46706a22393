"""Races around one session's questions: the database, not a check in Python, keeps one open question."""

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx2
import pytest
from django.db import IntegrityError, connection, transaction

from common.exceptions import ApplicationError
from conftest import auth_client
from interviews import services
from interviews.models import SessionMessage
from interviews.serializers import MessageSerializer
from operations import registry
from operations import services as operation_services
from operations.models import Operation
from tests.factories import OperationFactory, QuestionFactory, SessionFactory, UserFactory

TWIN = "question_generation_twin"


@pytest.fixture
def twin_type():
    """A second question-generating type, so two generations of one session can be in flight at once
    (one unfinished operation per session *and type* would otherwise serialise them)."""
    registry.register(
        registry.OperationType(
            name=TWIN,
            task="interviews.tasks.generate_question_task",
            retry=services.question_retry,
            result_serializer=MessageSerializer,
        )
    )
    yield
    registry.unregister(TWIN)


def open_questions(session) -> int:
    return SessionMessage.objects.filter(session=session, is_open=True).count()


@pytest.mark.django_db
def test_the_database_refuses_a_second_open_question():
    session = SessionFactory()
    QuestionFactory(session=session)

    with pytest.raises(IntegrityError, match="session_messages_one_open_question"), transaction.atomic():
        QuestionFactory(session=session, content="A second open one")

    assert open_questions(session) == 1


def claimed_with_outcome(session, operation_type):
    operation = OperationFactory(user=session.user, session=session, operation_type=operation_type)
    operation = operation_services.operation_claim(operation_id=operation.id)
    return operation, services.question_prepare(operation)()


def at_once(*actions):
    """Run the actions in threads released together; each result or exception, in order."""
    barrier = threading.Barrier(len(actions))

    def call(action):
        barrier.wait()
        try:
            return action()
        except Exception as exc:
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(actions)) as pool:
        return list(pool.map(call, actions))


@pytest.mark.django_db(transaction=True)
def test_two_generations_storing_at_once_store_one_question(fake_llm, twin_type):
    for _ in range(5):
        session = SessionFactory()
        first = claimed_with_outcome(session, "question_generation")
        second = claimed_with_outcome(session, TWIN)

        results = at_once(*(lambda op=op, out=out: services.question_store(op, out) for op, out in (first, second)))

        stored = [r for r in results if r is True]
        refused = [r for r in results if isinstance(r, ApplicationError)]
        assert len(stored) == 1 and len(refused) == 1, results
        assert refused[0].code == "QUESTION_ALREADY_OPEN"
        assert open_questions(session) == 1
        session.refresh_from_db()
        assert session.current_question_number == 1


@pytest.mark.django_db(transaction=True)
def test_a_client_question_racing_a_generation_never_leaves_two_open(fake_llm):
    for round_ in range(8):
        session = SessionFactory()
        operation, outcome = claimed_with_outcome(session, "question_generation")
        client = auth_client(session.user)
        ask = {"path": f"/api/v1/sessions/{session.id}/questions", "data": {"content": f"Mine {round_}?"}}

        stored, response = at_once(
            lambda op=operation, out=outcome: services.question_store(op, out),
            lambda c=client, kw=ask: c.post(**kw),
        )

        assert open_questions(session) == 1
        assert SessionMessage.objects.filter(session=session).count() == 1
        if stored is True:
            assert response.status_code == 409 and response.json()["code"] == "QUESTION_ALREADY_OPEN"
        else:
            assert isinstance(stored, ApplicationError) and stored.code == "QUESTION_ALREADY_OPEN"
            assert response.status_code == 201


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_concurrent_requests_create_one_operation(live_server, fake_llm, settings):
    """32 simultaneous generate-question requests over real HTTP: one operation, every answer 202 with it."""
    settings.QUESTION_RATE_LIMIT = "100/hour"
    user = UserFactory()
    session = SessionFactory(user=user)
    token = auth_client(user)._credentials["HTTP_AUTHORIZATION"]
    url = f"{live_server.url}/api/v1/sessions/{session.id}/generate-question"

    def post(_):
        return httpx2.post(url, headers={"Authorization": token}, timeout=30)

    with ThreadPoolExecutor(max_workers=16) as pool:
        responses = list(pool.map(post, range(32)))

    assert {r.status_code for r in responses} == {202}, [r.text for r in responses]
    operations = Operation.objects.filter(session=session)
    assert operations.count() == 1
    assert {r.json()["id"] for r in responses} == {str(operations.get().id)}
