"""What one user can make the model read is bounded: questions, transcript characters, the prompt's budget."""

import pytest

from common.checks import check_prompt_budget
from feedback.analysis import AnalysisInput
from feedback.analysis import build_messages as feedback_prompt
from interviews.models import ANSWER_MAX, DESCRIPTION_MAX, RESUME_MAX
from interviews.questions import QuestionInput
from interviews.questions import build_messages as question_prompt
from llm.budget import CHARS_PER_TOKEN, SHORTENED, estimate_tokens, fit
from tests.factories import AnswerFactory, JobPostingFactory, QuestionFactory, SessionFactory, db_state, problem

pytestmark = pytest.mark.django_db


def url(session, action):
    return f"/api/v1/sessions/{session.id}/{action}"


def test_client_written_questions_stop_at_the_limit(client_a, user, settings):
    settings.SESSION_MAX_QUESTIONS = 2
    session = SessionFactory(user=user)
    for n in range(2):
        assert client_a.post(url(session, "questions"), {"content": f"Q{n}?"}).status_code == 201
        assert client_a.post(url(session, "answers"), {"answer_text": "A."}).status_code == 201
    before = db_state()

    response = client_a.post(url(session, "questions"), {"content": "One more?"})

    assert response.status_code == 400
    assert response.json() == problem(
        400, "QUESTION_LIMIT_REACHED", "This session already has 2 questions, the most it may have."
    )
    assert db_state() == before


def test_the_transcript_stops_at_its_character_budget(client_a, user, settings):
    settings.SESSION_MAX_TRANSCRIPT_CHARS = 100
    session = SessionFactory(user=user)
    QuestionFactory(session=session, content="q" * 40)
    before = db_state()

    too_long = client_a.post(url(session, "answers"), {"answer_text": "a" * 61})

    assert too_long.status_code == 400
    assert too_long.json()["code"] == "TRANSCRIPT_TOO_LONG"
    assert "100 characters" in too_long.json()["detail"]
    assert db_state() == before
    assert client_a.post(url(session, "answers"), {"answer_text": "a" * 60}).status_code == 201
    # Full: not even a one-character question fits now.
    assert client_a.post(url(session, "questions"), {"content": "?"}).json()["code"] == "TRANSCRIPT_TOO_LONG"


def test_the_default_budget_allows_a_full_session_of_long_answers(settings):
    """Ten questions with answers of a few thousand characters fit; ten of 20,000 do not."""
    assert settings.SESSION_MAX_QUESTIONS == 10
    assert settings.SESSION_MAX_TRANSCRIPT_CHARS == 60_000
    assert 10 * (300 + 5_000) < settings.SESSION_MAX_TRANSCRIPT_CHARS < 10 * ANSWER_MAX


def test_fit_cuts_the_first_cuttable_text_first_and_keeps_the_rest():
    fixed = ["i" * 300]  # 100 tokens
    resume, description = fit(fixed=fixed, cuttable=["r" * 3000, "d" * 300], max_tokens=700)
    assert resume.endswith(SHORTENED) and description == "d" * 300
    assert sum(estimate_tokens(t) for t in (*fixed, resume, description)) <= 700
    assert fit(fixed=fixed, cuttable=["r", "d"], max_tokens=700) == ["r", "d"]


def largest_inputs(transcript_chars: int):
    """A posting and a résumé as long as the API allows, and ten question/answer pairs filling the transcript."""
    posting = JobPostingFactory.create(description="d" * DESCRIPTION_MAX)
    session = SessionFactory.create(user=posting.user, job_posting=posting)
    pair = transcript_chars // 10
    for _ in range(10):
        QuestionFactory(session=session, content="q" * (pair // 6))
        AnswerFactory(session=session, content="a" * (pair - pair // 6))
    messages = list(session.messages.order_by("created_at", "id"))
    return session, posting, "r" * RESUME_MAX, messages


@pytest.mark.parametrize(("max_tokens", "transcript_chars"), [(32_000, 60_000), (6_000, 12_000)])
def test_both_prompts_stay_within_the_input_budget(settings, max_tokens, transcript_chars):
    """At the default budget, and at a small model's (8k context) with the transcript bound it needs."""
    settings.OPENAI_MAX_INPUT_TOKENS = max_tokens
    settings.SESSION_MAX_TRANSCRIPT_CHARS = transcript_chars
    assert check_prompt_budget() == []
    session, posting, resume, messages = largest_inputs(transcript_chars)
    answer = "a" * (transcript_chars // 10 - transcript_chars // 60)

    prompts = [
        feedback_prompt(AnalysisInput(session=session, job_posting=posting, resume=resume, messages=messages)),
        question_prompt(
            QuestionInput(
                session=session, job_posting=posting, resume=resume, messages=messages, question_type="technical"
            )
        ),
    ]

    for prompt in prompts:
        total = sum(len(m["content"]) for m in prompt)
        # Within the budget, give or take the labels around the parts.
        assert total <= max_tokens * CHARS_PER_TOKEN + 1_000, total
        user = prompt[1]["content"]
        assert SHORTENED.strip() in user  # the résumé was cut first...
        assert user.count(answer) == 10  # ...and the interview never


def test_a_transcript_bound_the_input_budget_cannot_hold_is_refused(settings):
    settings.OPENAI_MAX_INPUT_TOKENS = 6_000
    [error] = check_prompt_budget()
    assert error.id == "budgets.E004"
    assert "at most 12000" in error.hint
