"""The user's one résumé: POST /resumes, GET/PUT/DELETE /resumes/me."""

import pytest

from interviews.models import RESUME_MAX, Resume
from tests.factories import ResumeFactory, db_state, iso, problem

pytestmark = pytest.mark.django_db

RESUMES = "/api/v1/resumes"
ME = "/api/v1/resumes/me"

NO_RESUME = problem(404, "NOT_FOUND", "You have no résumé yet.")


def body_of(resume: Resume) -> dict:
    return {
        "id": str(resume.id),
        "content": resume.content,
        "created_at": iso(resume.created_at),
        "updated_at": iso(resume.updated_at),
    }


# POST /resumes ----------------------------------------------------------------------------


def test_create_resume_answers_201_with_the_resume(client_a, user):
    response = client_a.post(RESUMES, {"content": "Ten years of Django."})

    assert response.status_code == 201
    resume = Resume.objects.get()
    assert resume.user == user
    assert resume.content == "Ten years of Django."
    assert response.json() == body_of(resume)


def test_create_resume_keeps_unicode_and_newlines(client_a):
    content = "Résumé — Ann Lee\n\n* Python, Django\n* 日本語"

    response = client_a.post(RESUMES, {"content": content})

    assert response.status_code == 201
    assert response.json()["content"] == content
    assert Resume.objects.get().content == content


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"content": ""}, "This field may not be blank."),
        ({"content": "   \n\t "}, "This field may not be blank."),
        ({}, "This field is required."),
        ({"content": None}, "This field may not be null."),
    ],
    ids=["empty", "whitespace", "missing", "null"],
)
def test_create_resume_without_content_is_400_and_writes_nothing(client_a, body, message):
    response = client_a.post(RESUMES, body)

    assert response.status_code == 400
    assert response.json() == problem(400, "VALIDATION_ERROR", message, [{"field": "content", "message": message}])
    assert not Resume.objects.exists()


def test_create_resume_over_the_limit_is_400(client_a):
    response = client_a.post(RESUMES, {"content": "x" * (RESUME_MAX + 1)})

    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert response.json()["errors"] == [
        {"field": "content", "message": f"Ensure this field has no more than {RESUME_MAX} characters."}
    ]
    assert not Resume.objects.exists()


def test_create_resume_at_the_limit_is_accepted(client_a):
    response = client_a.post(RESUMES, {"content": "x" * RESUME_MAX})

    assert response.status_code == 201
    assert len(Resume.objects.get().content) == RESUME_MAX


def test_second_resume_is_409_and_the_first_is_unchanged(client_a, user):
    ResumeFactory(user=user, content="The first one.")
    before = db_state(Resume)

    response = client_a.post(RESUMES, {"content": "The second one."})

    assert response.status_code == 409
    assert response.json() == problem(
        409, "RESUME_ALREADY_EXISTS", "You already have a résumé. Update it with PUT /resumes/me."
    )
    assert db_state(Resume) == before


def test_create_resume_ignores_read_only_fields(client_a, user):
    response = client_a.post(
        RESUMES, {"content": "Mine.", "id": "00000000-0000-0000-0000-000000000001", "created_at": "2000-01-01T00:00Z"}
    )

    assert response.status_code == 201
    resume = Resume.objects.get()
    assert str(resume.id) != "00000000-0000-0000-0000-000000000001"
    assert resume.created_at.year != 2000


# GET /resumes/me --------------------------------------------------------------------------


def test_get_my_resume(client_a, user):
    resume = ResumeFactory(user=user)

    response = client_a.get(ME)

    assert response.status_code == 200
    assert response.json() == body_of(resume)


def test_get_my_resume_when_none_is_404(client_a):
    response = client_a.get(ME)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == NO_RESUME


# PUT /resumes/me --------------------------------------------------------------------------


def test_put_my_resume_replaces_the_content(client_a, user):
    resume = ResumeFactory(user=user, content="Old.")
    created_at = resume.created_at

    response = client_a.put(ME, {"content": "New and improved."})

    assert response.status_code == 200
    resume.refresh_from_db()
    assert resume.content == "New and improved."
    assert resume.created_at == created_at
    assert resume.updated_at > created_at
    assert response.json() == body_of(resume)
    assert Resume.objects.count() == 1


def test_put_my_resume_when_none_is_404_and_creates_nothing(client_a):
    response = client_a.put(ME, {"content": "New."})

    assert response.status_code == 404
    assert response.json() == NO_RESUME
    assert not Resume.objects.exists()


@pytest.mark.parametrize("content", ["", "   "])
def test_put_my_resume_with_empty_content_is_400_and_changes_nothing(client_a, user, content):
    ResumeFactory(user=user)
    before = db_state(Resume)

    response = client_a.put(ME, {"content": content})

    assert response.status_code == 400
    assert response.json() == problem(
        400,
        "VALIDATION_ERROR",
        "This field may not be blank.",
        [{"field": "content", "message": "This field may not be blank."}],
    )
    assert db_state(Resume) == before


def test_put_my_resume_over_the_limit_is_400_and_changes_nothing(client_a, user):
    ResumeFactory(user=user)
    before = db_state(Resume)

    response = client_a.put(ME, {"content": "x" * (RESUME_MAX + 1)})

    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert db_state(Resume) == before


# DELETE /resumes/me -----------------------------------------------------------------------


def test_delete_my_resume(client_a, user):
    ResumeFactory(user=user)

    response = client_a.delete(ME)

    assert response.status_code == 204
    assert response.content == b""
    assert not Resume.objects.exists()


def test_delete_my_resume_when_none_is_404(client_a):
    response = client_a.delete(ME)

    assert response.status_code == 404
    assert response.json() == NO_RESUME


def test_after_delete_a_new_resume_can_be_created(client_a, user):
    ResumeFactory(user=user)
    assert client_a.delete(ME).status_code == 204

    response = client_a.post(RESUMES, {"content": "A fresh start."})

    assert response.status_code == 201
    assert Resume.objects.get().content == "A fresh start."


# Authentication ---------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), [("post", RESUMES), ("get", ME), ("put", ME), ("delete", ME)])
def test_resume_endpoints_need_authentication(api_client, user, method, path):
    ResumeFactory(user=user)
    before = db_state(Resume)

    response = getattr(api_client, method)(path, {"content": "x"})

    assert response.status_code == 401
    assert response.json() == problem(401, "NOT_AUTHENTICATED", "Authentication credentials were not provided.")
    assert db_state(Resume) == before
