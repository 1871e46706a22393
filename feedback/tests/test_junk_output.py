"""Junk is never stored: output with the right shape and no usable content is asked for again, then refused."""

import json

import pytest

from feedback.models import InterviewFeedback
from feedback.tasks import generate_feedback_task
from interviews.tasks import generate_question_task
from llm.errors import LLMErrorCode
from tests.factories import OperationFactory, SessionFactory, completed_session_with_answers
from tests.fake_openai import VALID_FEEDBACK, Reply

pytestmark = pytest.mark.django_db

TEXTS = ("technical_feedback", "communication_feedback", "problem_solving_feedback", "relevance_feedback")

GERMAN = {
    **VALID_FEEDBACK,
    "technical_feedback": "Solides Verständnis von Transaktionen und Idempotenz.",
    "communication_feedback": "Klare, gut strukturierte Antworten.",
    "problem_solving_feedback": "Das Problem wurde sinnvoll zerlegt; Fehlerfälle früher bedenken.",
    "relevance_feedback": "Die Antworten passten zum Backend-Schwerpunkt der Stelle.",
    "overall_comments": "Ein starkes Gespräch mit Raum für tiefere Antworten zu verteilten Systemen.",
    "knowledge_gaps": ["Genau-einmal-Zustellung"],
    "learning_recommendations": ["Über das Transactional-Outbox-Muster lesen"],
}
JAPANESE = {
    **VALID_FEEDBACK,
    "technical_feedback": "トランザクションと冪等性をよく理解しています。",
    "communication_feedback": "回答は明確で、よく構成されていました。",
    "problem_solving_feedback": "問題をうまく分解しました。障害ケースをもっと早く考えましょう。",
    "relevance_feedback": "回答は求人のバックエンド重視の内容に合っていました。",
    "overall_comments": "分散システムについてさらに深める余地のある、良い面接でした。",
    "knowledge_gaps": ["正確に一度の配信"],
    "learning_recommendations": ["トランザクショナル・アウトボックス・パターンを学ぶ"],
}


def feedback_operation():
    session = completed_session_with_answers()
    return OperationFactory(user=session.user, session=session)


def junk(**overrides) -> Reply:
    return Reply(content=json.dumps({**VALID_FEEDBACK, **overrides}))


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(junk(**dict.fromkeys((*TEXTS, "overall_comments"), ",")), id="punctuation-everywhere"),
        pytest.param(junk(technical_feedback="..."), id="one-placeholder-text"),
        pytest.param(junk(overall_comments="Good."), id="one-word"),
        pytest.param(junk(relevance_feedback="17.2.1.2"), id="a-number-as-text"),
        pytest.param(junk(learning_recommendations=["17.2.1.2", "17.2.1.3"]), id="numbers-as-recommendations"),
        pytest.param(junk(knowledge_gaps=[","]), id="punctuation-item"),
        pytest.param(junk(learning_recommendations=[f"Read chapter {n}" for n in range(30)]), id="thirty-items"),
        pytest.param(junk(knowledge_gaps=[]), id="no-items"),
        pytest.param(junk(overall_comments="word " * 1000), id="text-too-long"),
        pytest.param(
            junk(**dict.fromkeys((*TEXTS, "overall_comments"), "The candidate answered the questions.")),
            id="five-times-the-same-text",
        ),
    ],
)
def test_junk_feedback_is_asked_for_again_then_refused(fake_llm, reply):
    fake_llm.default = reply
    operation = feedback_operation()

    assert generate_feedback_task.apply(kwargs={"operation_id": str(operation.id)}).get() == "failed"

    operation.refresh_from_db()
    assert operation.error_code == LLMErrorCode.RESPONSE_INVALID
    assert len(fake_llm.calls) == 2
    assert not InterviewFeedback.objects.exists()


@pytest.mark.parametrize("feedback", [GERMAN, JAPANESE], ids=["german", "japanese"])
def test_good_feedback_in_any_language_is_stored(fake_llm, feedback):
    fake_llm.default = Reply(content=json.dumps(feedback), kind="feedback")
    operation = feedback_operation()

    assert generate_feedback_task.apply(kwargs={"operation_id": str(operation.id)}).get() == "completed"

    stored = InterviewFeedback.objects.get(session=operation.session)
    assert stored.overall_comments == feedback["overall_comments"]
    assert len(fake_llm.calls) == 1


@pytest.mark.parametrize("question", [",", "17.2.1.2", "Why?", "   "])
def test_junk_questions_are_refused(fake_llm, question):
    session = SessionFactory()
    operation = OperationFactory(user=session.user, session=session, operation_type="question_generation")
    fake_llm.push(Reply.question(question), Reply.question(question))

    assert generate_question_task.apply(kwargs={"operation_id": str(operation.id)}).get() == "failed"

    operation.refresh_from_db()
    assert operation.error_code == LLMErrorCode.RESPONSE_INVALID
    assert not session.messages.exists()


@pytest.mark.parametrize(
    "question",
    [
        "Wie würden Sie einen idempotenten Zahlungsendpunkt entwerfen?",
        "冪等な決済エンドポイントをどのように設計しますか？",
    ],
)
def test_questions_in_any_language_are_stored(fake_llm, question):
    session = SessionFactory()
    operation = OperationFactory(user=session.user, session=session, operation_type="question_generation")
    fake_llm.push(Reply.question(question))

    assert generate_question_task.apply(kwargs={"operation_id": str(operation.id)}).get() == "completed"

    assert session.messages.get().content == question


def test_characters_postgresql_cannot_store_are_cleaned_not_fatal(fake_llm):
    """A NUL (or a lone surrogate) in valid JSON used to leave the operation processing until its lease
    expired, then re-bill the model up to 3 times: now it is cleaned and stored, after one call."""
    reply = json.dumps(
        {
            **VALID_FEEDBACK,
            "technical_feedback": "Solid grasp of\u0000 transactions and idempotency.",
            "knowledge_gaps": ["Exactly-once \ud800delivery"],
        }
    )
    fake_llm.default = Reply(content=reply, kind="feedback")
    operation = feedback_operation()

    assert generate_feedback_task.apply(kwargs={"operation_id": str(operation.id)}).get() == "completed"

    stored = InterviewFeedback.objects.get(session=operation.session)
    assert stored.technical_feedback == "Solid grasp of transactions and idempotency."
    assert stored.knowledge_gaps == ["Exactly-once delivery"]
    assert len(fake_llm.calls) == 1
