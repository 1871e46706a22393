"""Interview sessions: start, list, detail, transcript, questions, answers and transitions."""

from datetime import timedelta

import pytest
from django.utils import timezone

from interviews.models import ANSWER_MAX, QUESTION_MAX, InterviewSession, SessionMessage
from tests.factories import (
    AnswerFactory,
    JobPostingFactory,
    QuestionFactory,
    ResumeFactory,
    SessionFactory,
    db_state,
    iso,
    problem,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/sessions"
UNKNOWN_ID = "3f1c1f5e-8f43-4a4e-9d3b-3d8d1a0c0a11"


def url(session, action: str = "") -> str:
    return f"{URL}/{session.id}/{action}" if action else f"{URL}/{session.id}"


def summary_of(session: InterviewSession) -> dict:
    posting = session.job_posting
    return {
        "id": str(session.id),
        "job_posting": (
            None if posting is None else {"id": str(posting.id), "title": posting.title, "company": posting.company}
        ),
        "status": session.status,
        "current_question_number": session.current_question_number,
        "attempt_number": session.attempt_number,
        "retake_of": str(session.retake_of_id) if session.retake_of_id else None,
        "overall_score": getattr(getattr(session, "feedback", None), "overall_score", None),
        "created_at": iso(session.created_at),
        "updated_at": iso(session.updated_at),
        "completed_at": iso(session.completed_at),
    }


def message_of(message: SessionMessage) -> dict:
    return {
        "id": str(message.id),
        "message_type": message.message_type,
        "content": message.content,
        "question_type": message.question_type,
        "created_at": iso(message.created_at),
    }


def validation_error(field: str, message: str) -> dict:
    return problem(400, "VALIDATION_ERROR", message, [{"field": field, "message": message}])


# POST /sessions ---------------------------------------------------------------------------


def test_start_session_answers_201_active_at_question_zero(client_a, user):
    posting = JobPostingFactory(user=user)

    response = client_a.post(URL, {"job_posting_id": str(posting.id)})

    assert response.status_code == 201
    session = InterviewSession.objects.get()
    assert (session.user, session.job_posting, session.status) == (user, posting, "active")
    assert session.current_question_number == 0
    assert session.completed_at is None
    assert response.json() == summary_of(session)
    assert response.json()["status"] == "active"
    assert response.json()["current_question_number"] == 0
    assert response.json()["job_posting"] == {"id": str(posting.id), "title": posting.title, "company": posting.company}


def test_start_a_second_session_for_the_same_posting(client_a, user):
    posting = JobPostingFactory(user=user)
    SessionFactory(user=user, job_posting=posting)

    response = client_a.post(URL, {"job_posting_id": str(posting.id)})

    assert response.status_code == 201
    assert InterviewSession.objects.filter(job_posting=posting).count() == 2


def test_start_session_on_another_users_posting_is_404(client_a, other_user):
    posting = JobPostingFactory(user=other_user)

    response = client_a.post(URL, {"job_posting_id": str(posting.id)})

    assert response.status_code == 404
    assert response.json() == problem(404, "NOT_FOUND", "Job posting not found.")
    assert not InterviewSession.objects.exists()


def test_start_session_on_an_unknown_posting_is_404(client_a):
    response = client_a.post(URL, {"job_posting_id": UNKNOWN_ID})

    assert response.status_code == 404
    assert response.json() == problem(404, "NOT_FOUND", "Job posting not found.")
    assert not InterviewSession.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "This field is required."),
        ({"job_posting_id": None}, "This field may not be null."),
        ({"job_posting_id": "not-a-uuid"}, "Must be a valid UUID."),
        ({"job_posting_id": "123"}, "Must be a valid UUID."),
        ({"job_posting_id": ""}, "Must be a valid UUID."),
        # DRF's UUIDField alone would read a JSON number as UUID(int=123) and answer 404.
        ({"job_posting_id": 123}, "Must be a valid UUID."),
        ({"job_posting_id": True}, "Must be a valid UUID."),
        ({"job_posting_id": ["3f1c1f5e-8f43-4a4e-9d3b-3d8d1a0c0a11"]}, "Must be a valid UUID."),
    ],
    ids=["missing", "null", "malformed", "number-string", "empty", "number", "bool", "list"],
)
def test_start_session_with_a_missing_or_malformed_posting_id_is_400(client_a, body, message):
    response = client_a.post(URL, body)

    assert response.status_code == 400
    assert response.json() == validation_error("job_posting_id", message)
    assert not InterviewSession.objects.exists()


# GET /sessions ----------------------------------------------------------------------------


def test_list_sessions_newest_first_as_a_page(client_a, user):
    now = timezone.now()
    oldest = SessionFactory(user=user, created_at=now - timedelta(hours=2))
    newest = SessionFactory(user=user, created_at=now)
    middle = SessionFactory(user=user, created_at=now - timedelta(hours=1), paused=True)

    response = client_a.get(URL)

    assert response.status_code == 200
    assert response.json() == {
        "count": 3,
        "next": None,
        "previous": None,
        "results": [summary_of(newest), summary_of(middle), summary_of(oldest)],
    }


def test_list_sessions_filters_by_status(client_a, user):
    active = SessionFactory(user=user)
    paused = SessionFactory(user=user, paused=True)
    completed = SessionFactory(user=user, completed=True)

    for status, expected in (("active", active), ("paused", paused), ("completed", completed)):
        response = client_a.get(URL, {"status": status})
        assert response.status_code == 200
        assert response.json()["count"] == 1
        assert response.json()["results"] == [summary_of(expected)]


def test_list_sessions_filters_by_job_posting(client_a, user):
    posting = JobPostingFactory(user=user)
    now = timezone.now()
    first = SessionFactory(user=user, job_posting=posting, created_at=now - timedelta(minutes=1))
    second = SessionFactory(user=user, job_posting=posting, created_at=now)
    SessionFactory(user=user)

    response = client_a.get(URL, {"job_posting_id": str(posting.id)})

    assert response.status_code == 200
    assert response.json()["count"] == 2
    assert [s["id"] for s in response.json()["results"]] == [str(second.id), str(first.id)]


def test_list_sessions_combines_filters(client_a, user):
    posting = JobPostingFactory(user=user)
    SessionFactory(user=user, job_posting=posting)
    paused = SessionFactory(user=user, job_posting=posting, paused=True)
    SessionFactory(user=user, paused=True)

    response = client_a.get(URL, {"job_posting_id": str(posting.id), "status": "paused"})

    assert response.status_code == 200
    assert [s["id"] for s in response.json()["results"]] == [str(paused.id)]


def test_list_sessions_with_an_unknown_posting_id_is_an_empty_page(client_a, user):
    SessionFactory(user=user)

    response = client_a.get(URL, {"job_posting_id": UNKNOWN_ID})

    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"status": "bogus"}, "status", "Select a valid choice. bogus is not one of the available choices."),
        ({"status": "ACTIVE"}, "status", "Select a valid choice. ACTIVE is not one of the available choices."),
        ({"job_posting_id": "not-a-uuid"}, "job_posting_id", "Enter a valid UUID."),
    ],
    ids=["unknown-status", "upper-case-status", "malformed-posting-id"],
)
def test_list_sessions_with_an_invalid_filter_is_400(client_a, user, params, field, message):
    SessionFactory(user=user)

    response = client_a.get(URL, params)

    assert response.status_code == 400
    assert response.json() == validation_error(field, message)


def test_list_sessions_shows_a_deleted_posting_as_null(client_a, user):
    session = SessionFactory(user=user)
    session.job_posting.delete()
    session.refresh_from_db()

    response = client_a.get(URL)

    assert response.status_code == 200
    assert response.json()["results"] == [summary_of(session)]
    assert response.json()["results"][0]["job_posting"] is None


# GET /sessions/{id} -----------------------------------------------------------------------


def test_session_detail_has_full_posting_resume_and_messages_oldest_first(client_a, user):
    resume = ResumeFactory(user=user)
    session = SessionFactory(user=user)
    posting = session.job_posting
    now = timezone.now()
    # Created out of order on purpose: the API orders by created_at, not by insertion.
    answer = AnswerFactory(session=session, created_at=now - timedelta(minutes=1))
    question = QuestionFactory(session=session, created_at=now - timedelta(minutes=2), is_open=False)
    follow_up = QuestionFactory(
        session=session, content="Why?", question_type="behavioral", created_at=now - timedelta(seconds=10)
    )

    response = client_a.get(url(session))

    assert response.status_code == 200
    assert response.json() == {
        **summary_of(session),
        "job_posting": {
            "id": str(posting.id),
            "title": posting.title,
            "company": posting.company,
            "description": posting.description,
            "experience_level": posting.experience_level,
            "tech_stack": posting.tech_stack,
            "language": "en",
            "created_at": iso(posting.created_at),
            "updated_at": iso(posting.updated_at),
        },
        "resume": resume.content,
        "messages": [message_of(question), message_of(answer), message_of(follow_up)],
    }


def test_session_detail_without_resume_or_messages(client_a, user):
    session = SessionFactory(user=user)

    response = client_a.get(url(session))

    assert response.status_code == 200
    assert response.json()["resume"] is None
    assert response.json()["messages"] == []


def test_session_detail_with_a_deleted_posting(client_a, user):
    session = SessionFactory(user=user)
    session.job_posting.delete()

    response = client_a.get(url(session))

    assert response.status_code == 200
    assert response.json()["job_posting"] is None


def test_session_detail_of_an_unknown_session_is_404(client_a):
    response = client_a.get(f"{URL}/{UNKNOWN_ID}")

    assert response.status_code == 404
    assert response.json() == problem(404, "NOT_FOUND", "Not found.")


# GET /sessions/{id}/messages --------------------------------------------------------------


def test_messages_oldest_first_as_a_plain_array(client_a, user):
    session = SessionFactory(user=user)
    now = timezone.now()
    second = AnswerFactory(session=session, created_at=now - timedelta(minutes=1))
    first = QuestionFactory(session=session, created_at=now - timedelta(minutes=2), is_open=False)
    third = QuestionFactory(session=session, question_type=None, created_at=now)
    QuestionFactory(session=SessionFactory(user=user))  # another session's message

    response = client_a.get(url(session, "messages"))

    assert response.status_code == 200
    assert response.json() == [message_of(first), message_of(second), message_of(third)]


def test_messages_of_a_new_session_is_an_empty_array(client_a, user):
    session = SessionFactory(user=user)

    response = client_a.get(url(session, "messages"))

    assert response.status_code == 200
    assert response.json() == []


def test_messages_of_an_unknown_session_is_404(client_a):
    response = client_a.get(f"{URL}/{UNKNOWN_ID}/messages")

    assert response.status_code == 404
    assert response.json() == problem(404, "NOT_FOUND", "Not found.")


# POST /sessions/{id}/questions ------------------------------------------------------------


def test_ask_question_answers_201_and_advances_the_counter(client_a, user):
    session = SessionFactory(user=user)

    response = client_a.post(url(session, "questions"), {"content": "What is MVCC?", "question_type": "technical"})

    assert response.status_code == 201
    message = SessionMessage.objects.get()
    assert (message.session, message.message_type, message.content, message.question_type) == (
        session,
        "question",
        "What is MVCC?",
        "technical",
    )
    assert response.json() == message_of(message)
    session.refresh_from_db()
    assert session.current_question_number == 1


def test_ask_questions_counts_up(client_a, user):
    session = SessionFactory(user=user)

    for n, kind in enumerate(("technical", "behavioral", "situational"), start=1):
        response = client_a.post(url(session, "questions"), {"content": f"Question {n}", "question_type": kind})
        assert response.status_code == 201
        session.refresh_from_db()
        assert session.current_question_number == n
        assert client_a.post(url(session, "answers"), {"answer_text": f"Answer {n}"}).status_code == 201

    questions = session.messages.filter(message_type="question")
    assert list(questions.values_list("question_type", flat=True)) == ["technical", "behavioral", "situational"]


def test_ask_question_while_one_is_open_is_409_and_writes_nothing(client_a, user):
    session = SessionFactory(user=user)
    QuestionFactory(session=session)
    before = db_state()

    response = client_a.post(url(session, "questions"), {"content": "Another one?", "question_type": "technical"})

    assert response.status_code == 409
    assert response.json() == problem(
        409, "QUESTION_ALREADY_OPEN", "The session's last question has not been answered yet."
    )
    assert db_state() == before


def test_answer_closes_the_open_question(client_a, user):
    session = SessionFactory(user=user)
    question = QuestionFactory(session=session)

    assert client_a.post(url(session, "answers"), {"answer_text": "An answer"}).status_code == 201

    question.refresh_from_db()
    assert question.is_open is False
    # Closed: a second answer has nothing to answer, a new question may be asked.
    assert client_a.post(url(session, "answers"), {"answer_text": "Again"}).status_code == 400
    assert client_a.post(url(session, "questions"), {"content": "Next?"}).status_code == 201


@pytest.mark.parametrize("body", [{"content": "Q?"}, {"content": "Q?", "question_type": None}])
def test_ask_question_without_a_type(client_a, user, body):
    session = SessionFactory(user=user)

    response = client_a.post(url(session, "questions"), body)

    assert response.status_code == 201
    assert response.json()["question_type"] is None
    assert SessionMessage.objects.get().question_type is None


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "content", "This field is required."),
        ({"content": ""}, "content", "This field may not be blank."),
        ({"content": "   "}, "content", "This field may not be blank."),
        (
            {"content": "x" * (QUESTION_MAX + 1)},
            "content",
            f"Ensure this field has no more than {QUESTION_MAX} characters.",
        ),
        ({"content": "Q?", "question_type": "trivia"}, "question_type", '"trivia" is not a valid choice.'),
    ],
    ids=["missing", "empty", "spaces", "too-long", "bad-type"],
)
def test_ask_question_with_invalid_input_is_400_and_writes_nothing(client_a, user, body, field, message):
    session = SessionFactory(user=user)
    before = db_state(InterviewSession, SessionMessage)

    response = client_a.post(url(session, "questions"), body)

    assert response.status_code == 400
    assert response.json() == validation_error(field, message)
    assert db_state(InterviewSession, SessionMessage) == before


@pytest.mark.parametrize("state", ["paused", "completed"])
def test_ask_question_in_a_session_that_is_not_active_is_400(client_a, user, state):
    session = SessionFactory(user=user, **{state: True})
    before = db_state(InterviewSession, SessionMessage)

    response = client_a.post(url(session, "questions"), {"content": "Q?", "question_type": "technical"})

    assert response.status_code == 400
    assert response.json() == problem(
        400,
        "SESSION_NOT_ACTIVE",
        f"The session is {state}; questions and answers need an active session.",
    )
    assert db_state(InterviewSession, SessionMessage) == before


# POST /sessions/{id}/answers --------------------------------------------------------------


def test_answer_the_open_question_answers_201(client_a, user):
    session = SessionFactory(user=user, current_question_number=1)
    QuestionFactory(session=session)

    response = client_a.post(url(session, "answers"), {"answer_text": "Use a unique idempotency key."})

    assert response.status_code == 201
    answer = SessionMessage.objects.get(message_type="answer")
    assert (answer.session, answer.content, answer.question_type) == (session, "Use a unique idempotency key.", None)
    assert response.json() == message_of(answer)
    session.refresh_from_db()
    assert session.current_question_number == 1


def test_answer_keeps_the_text_as_given(client_a, user):
    session = SessionFactory(user=user)
    QuestionFactory(session=session)
    text = "Line one.\n\n    indented code\nÜnïcödé ✓"

    response = client_a.post(url(session, "answers"), {"answer_text": text})

    assert response.status_code == 201
    assert SessionMessage.objects.get(message_type="answer").content == text


def test_answer_at_the_length_limit_is_accepted(client_a, user):
    session = SessionFactory(user=user)
    QuestionFactory(session=session)

    response = client_a.post(url(session, "answers"), {"answer_text": "a" * ANSWER_MAX})

    assert response.status_code == 201


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "This field is required."),
        ({"answer_text": ""}, "This field may not be blank."),
        ({"answer_text": " \n "}, "This field may not be blank."),
        ({"answer_text": None}, "This field may not be null."),
        ({"answer_text": "a" * (ANSWER_MAX + 1)}, f"Ensure this field has no more than {ANSWER_MAX} characters."),
    ],
    ids=["missing", "empty", "spaces", "null", "too-long"],
)
def test_answer_with_invalid_text_is_400_and_writes_nothing(client_a, user, body, message):
    session = SessionFactory(user=user)
    QuestionFactory(session=session)
    before = db_state(InterviewSession, SessionMessage)

    response = client_a.post(url(session, "answers"), body)

    assert response.status_code == 400
    assert response.json() == validation_error("answer_text", message)
    assert db_state(InterviewSession, SessionMessage) == before


def test_answer_without_any_question_is_400(client_a, user):
    session = SessionFactory(user=user)
    before = db_state(InterviewSession, SessionMessage)

    response = client_a.post(url(session, "answers"), {"answer_text": "An answer to nothing."})

    assert response.status_code == 400
    assert response.json() == validation_error("answer_text", "There is no open question to answer in this session.")
    assert db_state(InterviewSession, SessionMessage) == before


def test_answer_when_the_last_question_is_already_answered_is_400(client_a, user):
    session = SessionFactory(user=user)
    now = timezone.now()
    QuestionFactory(session=session, created_at=now - timedelta(minutes=2))
    AnswerFactory(session=session, created_at=now - timedelta(minutes=1))
    before = db_state(InterviewSession, SessionMessage)

    response = client_a.post(url(session, "answers"), {"answer_text": "A second answer."})

    assert response.status_code == 400
    assert response.json() == validation_error("answer_text", "There is no open question to answer in this session.")
    assert db_state(InterviewSession, SessionMessage) == before


@pytest.mark.parametrize("state", ["paused", "completed"])
def test_answer_in_a_session_that_is_not_active_is_400(client_a, user, state):
    session = SessionFactory(user=user, **{state: True})
    QuestionFactory(session=session)
    before = db_state(InterviewSession, SessionMessage)

    response = client_a.post(url(session, "answers"), {"answer_text": "Too late."})

    assert response.status_code == 400
    assert response.json() == problem(
        400,
        "SESSION_NOT_ACTIVE",
        f"The session is {state}; questions and answers need an active session.",
    )
    assert db_state(InterviewSession, SessionMessage) == before


def test_a_full_question_answer_round_trip(client_a, user):
    posting = JobPostingFactory(user=user)
    session_id = client_a.post(URL, {"job_posting_id": str(posting.id)}).json()["id"]
    base = f"{URL}/{session_id}"

    assert client_a.post(f"{base}/questions", {"content": "Q1", "question_type": "technical"}).status_code == 201
    assert client_a.post(f"{base}/answers", {"answer_text": "A1"}).status_code == 201
    assert client_a.post(f"{base}/questions", {"content": "Q2", "question_type": "behavioral"}).status_code == 201
    assert client_a.post(f"{base}/answers", {"answer_text": "A2"}).status_code == 201

    transcript = client_a.get(f"{base}/messages").json()
    assert [(m["message_type"], m["content"]) for m in transcript] == [
        ("question", "Q1"),
        ("answer", "A1"),
        ("question", "Q2"),
        ("answer", "A2"),
    ]
    detail = client_a.get(base).json()
    assert detail["current_question_number"] == 2
    assert detail["messages"] == transcript


# Transitions ------------------------------------------------------------------------------


def test_pause_an_active_session(client_a, user):
    session = SessionFactory(user=user)

    response = client_a.post(url(session, "pause"))

    assert response.status_code == 200
    session.refresh_from_db()
    assert session.status == "paused"
    assert session.completed_at is None
    assert response.json() == summary_of(session)


@pytest.mark.parametrize("state", ["paused", "completed"])
def test_pause_a_session_that_is_not_active_is_400(client_a, user, state):
    session = SessionFactory(user=user, **{state: True})
    before = db_state(InterviewSession)

    response = client_a.post(url(session, "pause"))

    assert response.status_code == 400
    assert response.json() == problem(
        400, "SESSION_NOT_ACTIVE", f"Only an active session can be paused; this one is {state}."
    )
    assert db_state(InterviewSession) == before


def test_resume_a_paused_session(client_a, user):
    session = SessionFactory(user=user, paused=True)

    response = client_a.post(url(session, "resume"))

    assert response.status_code == 200
    session.refresh_from_db()
    assert session.status == "active"
    assert response.json() == summary_of(session)


@pytest.mark.parametrize("state", ["active", "completed"])
def test_resume_a_session_that_is_not_paused_is_400(client_a, user, state):
    session = SessionFactory(user=user, **({} if state == "active" else {state: True}))
    before = db_state(InterviewSession)

    response = client_a.post(url(session, "resume"))

    assert response.status_code == 400
    assert response.json() == problem(
        400, "SESSION_NOT_PAUSED", f"Only a paused session can be resumed; this one is {state}."
    )
    assert db_state(InterviewSession) == before


@pytest.mark.parametrize("state", ["active", "paused"])
def test_complete_sets_status_and_completed_at(client_a, user, state):
    session = SessionFactory(user=user, **({} if state == "active" else {state: True}))
    before = timezone.now()

    response = client_a.post(url(session, "complete"))

    assert response.status_code == 200
    session.refresh_from_db()
    assert session.status == "completed"
    assert before <= session.completed_at <= timezone.now()
    assert response.json() == summary_of(session)
    assert response.json()["status"] == "completed"
    assert response.json()["completed_at"] == iso(session.completed_at)


def test_complete_a_completed_session_is_400_and_keeps_completed_at(client_a, user):
    session = SessionFactory(user=user, completed=True)
    before = db_state(InterviewSession)

    response = client_a.post(url(session, "complete"))

    assert response.status_code == 400
    assert response.json() == problem(400, "SESSION_ALREADY_COMPLETED", "The session is already completed.")
    assert db_state(InterviewSession) == before


def test_pause_resume_complete_lifecycle(client_a, user):
    session = SessionFactory(user=user)

    assert client_a.post(url(session, "pause")).json()["status"] == "paused"
    assert client_a.post(url(session, "resume")).json()["status"] == "active"
    assert client_a.post(url(session, "pause")).json()["status"] == "paused"
    completed = client_a.post(url(session, "complete")).json()

    assert completed["status"] == "completed"
    assert completed["completed_at"] is not None
    assert client_a.post(url(session, "resume")).json()["code"] == "SESSION_NOT_PAUSED"
    assert client_a.post(url(session, "pause")).json()["code"] == "SESSION_NOT_ACTIVE"


@pytest.mark.parametrize("action", ["pause", "resume", "complete", "questions", "answers"])
def test_actions_on_an_unknown_session_are_404(client_a, action):
    response = client_a.post(f"{URL}/{UNKNOWN_ID}/{action}", {"content": "Q?", "answer_text": "A."})

    assert response.status_code == 404
    assert response.json() == problem(404, "NOT_FOUND", "Not found.")
    assert not SessionMessage.objects.exists()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", URL),
        ("post", URL),
        ("get", f"{URL}/{UNKNOWN_ID}"),
        ("get", f"{URL}/{UNKNOWN_ID}/messages"),
        ("post", f"{URL}/{UNKNOWN_ID}/questions"),
        ("post", f"{URL}/{UNKNOWN_ID}/answers"),
        ("post", f"{URL}/{UNKNOWN_ID}/pause"),
        ("post", f"{URL}/{UNKNOWN_ID}/resume"),
        ("post", f"{URL}/{UNKNOWN_ID}/complete"),
    ],
)
def test_session_endpoints_need_authentication(api_client, method, path):
    response = getattr(api_client, method)(path)

    assert response.status_code == 401
    assert response.json() == problem(401, "NOT_AUTHENTICATED", "Authentication credentials were not provided.")


def test_answer_text_is_kept_verbatim(client_a, user):
    """Indented code in an answer keeps its indentation (no trimming of free text)."""
    session = SessionFactory(user=user)
    QuestionFactory(session=session)
    answer = "    def f():\n        return 1\n"
    response = client_a.post(f"/api/v1/sessions/{session.id}/answers", {"answer_text": answer}, format="json")
    assert response.status_code == 201
    assert response.json()["content"] == answer
    assert SessionMessage.objects.get(pk=response.json()["id"]).content == answer
