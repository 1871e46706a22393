"""Job postings' language (BCP 47): validated, standardised, and carried into both prompts."""

import pytest

from feedback.tasks import generate_feedback_task
from interviews.tasks import generate_question_task
from tests.factories import JobPostingFactory, OperationFactory, SessionFactory, completed_session_with_answers

pytestmark = pytest.mark.django_db

URL = "/api/v1/job-postings"
BODY = {"title": "Backend Engineer", "description": "Build APIs."}


def test_the_default_is_english(client_a):
    assert client_a.post(URL, BODY, format="json").json()["language"] == "en"


@pytest.mark.parametrize(("given", "stored"), [("de", "de"), ("pt-br", "pt-BR"), ("EN", "en"), ("zh-Hant", "zh-Hant")])
def test_a_valid_tag_is_stored_in_its_standard_form(client_a, given, stored):
    response = client_a.post(URL, {**BODY, "language": given}, format="json")
    assert response.status_code == 201
    assert response.json()["language"] == stored


@pytest.mark.parametrize("tag", ["english", "xx", "en-", "123", "", "de_DE!", "x" * 36, 7])
def test_a_bad_tag_is_400(client_a, tag):
    response = client_a.post(URL, {**BODY, "language": tag}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "language"


def test_the_tag_can_be_changed(client_a, user):
    posting = JobPostingFactory(user=user)
    response = client_a.patch(f"{URL}/{posting.id}", {"language": "ja"}, format="json")
    assert response.json()["language"] == "ja"


@pytest.mark.parametrize("kind", ["feedback", "question"])
def test_both_prompts_carry_the_language(fake_llm, kind):
    posting = JobPostingFactory(language="pt-BR")
    if kind == "feedback":
        session = completed_session_with_answers(user=posting.user, job_posting=posting)
        operation = OperationFactory(user=posting.user, session=session)
        generate_feedback_task.apply(kwargs={"operation_id": str(operation.id)})
    else:
        session = SessionFactory(user=posting.user, job_posting=posting)
        operation = OperationFactory(user=posting.user, session=session, operation_type="question_generation")
        generate_question_task.apply(kwargs={"operation_id": str(operation.id)})

    system, user = (m["content"] for m in fake_llm.calls[0]["body"]["messages"])
    assert 'the BCP 47 tag "pt-BR"' in user
    assert "pt-BR" not in system  # the static prefix stays the same for every language (prompt caching)
    operation.refresh_from_db()
    assert operation.prompt_version in ("feedback-v3", "question-v2")
