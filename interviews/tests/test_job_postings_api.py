"""CRUD of /job-postings (contract/API.md, "Job postings")."""

from datetime import timedelta

import pytest
from django.utils import timezone

from interviews.models import TECH_STACK_MAX_ITEMS, TITLE_MAX, InterviewSession, JobPosting
from tests.factories import JobPostingFactory, SessionFactory, db_state, iso, problem

pytestmark = pytest.mark.django_db

URL = "/api/v1/job-postings"

FULL = {
    "title": "Backend Engineer",
    "company": "Globex",
    "description": "Design APIs, own PostgreSQL schemas, run Celery workers.",
    "experience_level": "mid",
    "tech_stack": ["Python", "Django", "Redis"],
}


def detail_url(posting) -> str:
    return f"{URL}/{posting.id}"


def body_of(posting: JobPosting) -> dict:
    return {
        "id": str(posting.id),
        "title": posting.title,
        "company": posting.company,
        "description": posting.description,
        "experience_level": posting.experience_level,
        "tech_stack": posting.tech_stack,
        "language": posting.language,
        "created_at": iso(posting.created_at),
        "updated_at": iso(posting.updated_at),
    }


def validation_error(*errors: tuple[str, str]) -> dict:
    listed = [{"field": field, "message": message} for field, message in errors]
    detail = listed[0]["message"] if len(listed) == 1 else "The request contains invalid fields."
    return problem(400, "VALIDATION_ERROR", detail, listed)


# POST -------------------------------------------------------------------------------------


def test_create_job_posting_with_every_field(client_a, user):
    response = client_a.post(URL, FULL)

    assert response.status_code == 201
    posting = JobPosting.objects.get()
    assert posting.user == user
    assert {f: getattr(posting, f) for f in FULL} == FULL
    assert response.json() == body_of(posting)


def test_create_job_posting_with_only_the_required_fields(client_a):
    response = client_a.post(URL, {"title": "Data Engineer", "description": "Pipelines."})

    assert response.status_code == 201
    posting = JobPosting.objects.get()
    assert response.json() == body_of(posting)
    assert response.json()["company"] == ""
    assert response.json()["experience_level"] == ""
    assert response.json()["tech_stack"] == []


def test_create_job_posting_ignores_read_only_fields(client_a, other_user):
    response = client_a.post(
        URL,
        {
            **FULL,
            "id": "00000000-0000-0000-0000-000000000001",
            "created_at": "2000-01-01T00:00:00Z",
            "user": str(other_user.id),
        },
    )

    assert response.status_code == 201
    posting = JobPosting.objects.get()
    assert str(posting.id) != "00000000-0000-0000-0000-000000000001"
    assert posting.created_at.year != 2000
    assert posting.user_id != other_user.id


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"description": "d"}, [("title", "This field is required.")]),
        ({"title": "t"}, [("description", "This field is required.")]),
        ({}, [("title", "This field is required."), ("description", "This field is required.")]),
        ({"title": "", "description": "d"}, [("title", "This field may not be blank.")]),
        ({"title": "   ", "description": "d"}, [("title", "This field may not be blank.")]),
        ({"title": "t", "description": ""}, [("description", "This field may not be blank.")]),
        ({"title": None, "description": "d"}, [("title", "This field may not be null.")]),
        (
            {"title": "x" * (TITLE_MAX + 1), "description": "d"},
            [("title", f"Ensure this field has no more than {TITLE_MAX} characters.")],
        ),
    ],
    ids=[
        "no-title",
        "no-description",
        "empty",
        "blank-title",
        "spaces-title",
        "blank-description",
        "null-title",
        "long",
    ],
)
def test_create_job_posting_with_invalid_required_fields_is_400(client_a, body, errors):
    response = client_a.post(URL, body)

    assert response.status_code == 400
    assert response.json() == validation_error(*errors)
    assert not JobPosting.objects.exists()


@pytest.mark.parametrize(
    ("tech_stack", "errors"),
    [
        ("python", [("tech_stack", 'Expected a list of items but got type "str".')]),
        ({"lang": "python"}, [("tech_stack", 'Expected a list of items but got type "dict".')]),
        (None, [("tech_stack", "This field may not be null.")]),
        ([{"name": "python"}], [("tech_stack.0", "Not a valid string.")]),
        (["Python", ["Django"]], [("tech_stack.1", "Not a valid string.")]),
        ([True], [("tech_stack.0", "Not a valid string.")]),
        (["Python", None], [("tech_stack.1", "This field may not be null.")]),
        (["Python", ""], [("tech_stack.1", "This field may not be blank.")]),
        (["x" * 101], [("tech_stack.0", "Ensure this field has no more than 100 characters.")]),
        (
            ["t"] * (TECH_STACK_MAX_ITEMS + 1),
            [("tech_stack", f"Ensure this field has no more than {TECH_STACK_MAX_ITEMS} elements.")],
        ),
    ],
    ids=[
        "string",
        "object",
        "null",
        "list-of-objects",
        "nested-list",
        "bool",
        "null-item",
        "blank-item",
        "long",
        "many",
    ],
)
def test_create_job_posting_tech_stack_must_be_a_list_of_strings(client_a, tech_stack, errors):
    response = client_a.post(URL, {**FULL, "tech_stack": tech_stack})

    assert response.status_code == 400
    assert response.json() == validation_error(*errors)
    assert not JobPosting.objects.exists()


def test_create_job_posting_accepts_an_empty_tech_stack(client_a):
    response = client_a.post(URL, {**FULL, "tech_stack": []})

    assert response.status_code == 201
    assert JobPosting.objects.get().tech_stack == []


def test_create_job_posting_needs_authentication(api_client):
    response = api_client.post(URL, FULL)

    assert response.status_code == 401
    assert response.json()["code"] == "NOT_AUTHENTICATED"
    assert not JobPosting.objects.exists()


# GET list ---------------------------------------------------------------------------------


def test_list_job_postings_newest_first_as_a_page(client_a, user):
    now = timezone.now()
    oldest = JobPostingFactory(user=user, title="Oldest", created_at=now - timedelta(days=2))
    newest = JobPostingFactory(user=user, title="Newest", created_at=now)
    middle = JobPostingFactory(user=user, title="Middle", created_at=now - timedelta(days=1))

    response = client_a.get(URL)

    assert response.status_code == 200
    assert response.json() == {
        "count": 3,
        "next": None,
        "previous": None,
        "results": [body_of(newest), body_of(middle), body_of(oldest)],
    }


def test_list_job_postings_when_none(client_a):
    response = client_a.get(URL)

    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_list_job_postings_paginates(client_a, user):
    now = timezone.now()
    postings = [JobPostingFactory(user=user, created_at=now - timedelta(minutes=i)) for i in range(5)]

    first = client_a.get(URL, {"page_size": 2})
    last = client_a.get(URL, {"page_size": 2, "page": 3})

    assert first.status_code == 200
    assert first.json()["count"] == 5
    assert first.json()["previous"] is None
    assert first.json()["next"] == "http://testserver/api/v1/job-postings?page=2&page_size=2"
    assert [p["id"] for p in first.json()["results"]] == [str(p.id) for p in postings[:2]]
    assert last.json()["next"] is None
    assert last.json()["previous"] == "http://testserver/api/v1/job-postings?page=2&page_size=2"
    assert [p["id"] for p in last.json()["results"]] == [str(postings[4].id)]


def test_list_job_postings_page_out_of_range_is_404(client_a, user):
    JobPostingFactory(user=user)

    response = client_a.get(URL, {"page": 9})

    assert response.status_code == 404
    assert response.json() == problem(404, "NOT_FOUND", "Not found.")


# GET one ----------------------------------------------------------------------------------


def test_get_job_posting(client_a, user):
    posting = JobPostingFactory(user=user)

    response = client_a.get(detail_url(posting))

    assert response.status_code == 200
    assert response.json() == body_of(posting)


def test_get_unknown_job_posting_is_404(client_a):
    response = client_a.get(f"{URL}/3f1c1f5e-8f43-4a4e-9d3b-3d8d1a0c0a11")

    assert response.status_code == 404
    assert response.json() == problem(404, "NOT_FOUND", "Not found.")


# PUT --------------------------------------------------------------------------------------


def test_put_job_posting_replaces_every_field(client_a, user):
    posting = JobPostingFactory(user=user)
    created_at = posting.created_at

    response = client_a.put(detail_url(posting), FULL)

    assert response.status_code == 200
    posting.refresh_from_db()
    assert {f: getattr(posting, f) for f in FULL} == FULL
    assert posting.created_at == created_at
    assert posting.updated_at > created_at
    assert response.json() == body_of(posting)
    assert JobPosting.objects.count() == 1


def test_put_job_posting_can_clear_the_optional_fields(client_a, user):
    posting = JobPostingFactory(user=user)

    response = client_a.put(
        detail_url(posting),
        {"title": "T", "description": "D", "company": "", "experience_level": "", "tech_stack": []},
    )

    assert response.status_code == 200
    posting.refresh_from_db()
    assert (posting.company, posting.experience_level, posting.tech_stack) == ("", "", [])


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"title": "Only a title"}, [("description", "This field is required.")]),
        ({**FULL, "title": ""}, [("title", "This field may not be blank.")]),
        ({**FULL, "tech_stack": "python"}, [("tech_stack", 'Expected a list of items but got type "str".')]),
    ],
    ids=["missing-description", "blank-title", "tech-stack-string"],
)
def test_put_job_posting_with_invalid_body_is_400_and_changes_nothing(client_a, user, body, errors):
    posting = JobPostingFactory(user=user)
    before = db_state(JobPosting)

    response = client_a.put(detail_url(posting), body)

    assert response.status_code == 400
    assert response.json() == validation_error(*errors)
    assert db_state(JobPosting) == before


# PATCH ------------------------------------------------------------------------------------


def test_patch_job_posting_changes_only_the_given_fields(client_a, user):
    posting = JobPostingFactory(user=user)
    original = {f: getattr(posting, f) for f in FULL}

    response = client_a.patch(detail_url(posting), {"title": "Staff Engineer"})

    assert response.status_code == 200
    posting.refresh_from_db()
    assert posting.title == "Staff Engineer"
    assert {f: getattr(posting, f) for f in FULL if f != "title"} == {k: v for k, v in original.items() if k != "title"}
    assert response.json() == body_of(posting)


def test_patch_job_posting_tech_stack(client_a, user):
    posting = JobPostingFactory(user=user)

    response = client_a.patch(detail_url(posting), {"tech_stack": ["Go"]})

    assert response.status_code == 200
    posting.refresh_from_db()
    assert posting.tech_stack == ["Go"]
    assert posting.title == "Senior Python Developer"


def test_patch_job_posting_with_an_empty_body_changes_nothing_but_updated_at(client_a, user):
    posting = JobPostingFactory(user=user)
    before = {f: getattr(posting, f) for f in FULL}

    response = client_a.patch(detail_url(posting), {})

    assert response.status_code == 200
    posting.refresh_from_db()
    assert {f: getattr(posting, f) for f in FULL} == before


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"title": ""}, [("title", "This field may not be blank.")]),
        ({"description": ""}, [("description", "This field may not be blank.")]),
        ({"title": None}, [("title", "This field may not be null.")]),
        (
            {"tech_stack": [1, {"a": 1}]},
            [("tech_stack.0", "Not a valid string."), ("tech_stack.1", "Not a valid string.")],
        ),
        ({"tech_stack": "python"}, [("tech_stack", 'Expected a list of items but got type "str".')]),
    ],
    ids=["blank-title", "blank-description", "null-title", "object-in-stack", "string-stack"],
)
def test_patch_job_posting_with_invalid_values_is_400_and_changes_nothing(client_a, user, body, errors):
    posting = JobPostingFactory(user=user)
    before = db_state(JobPosting)

    response = client_a.patch(detail_url(posting), body)

    assert response.status_code == 400
    assert response.json() == validation_error(*errors)
    assert db_state(JobPosting) == before


# DELETE -----------------------------------------------------------------------------------


def test_delete_job_posting(client_a, user):
    posting = JobPostingFactory(user=user)
    kept = JobPostingFactory(user=user)

    response = client_a.delete(detail_url(posting))

    assert response.status_code == 204
    assert response.content == b""
    assert list(JobPosting.objects.all()) == [kept]
    assert client_a.get(detail_url(posting)).status_code == 404


def test_delete_job_posting_keeps_its_sessions(client_a, user):
    posting = JobPostingFactory(user=user)
    session = SessionFactory(user=user, job_posting=posting)

    response = client_a.delete(detail_url(posting))

    assert response.status_code == 204
    session.refresh_from_db()
    assert session.job_posting is None
    assert InterviewSession.objects.count() == 1


def test_delete_unknown_job_posting_is_404(client_a, user):
    JobPostingFactory(user=user)
    before = db_state(JobPosting)

    response = client_a.delete(f"{URL}/3f1c1f5e-8f43-4a4e-9d3b-3d8d1a0c0a11")

    assert response.status_code == 404
    assert response.json() == problem(404, "NOT_FOUND", "Not found.")
    assert db_state(JobPosting) == before
