"""The one error format (contract, "Errors"): problem details everywhere, never a 500 for bad input."""

import re

import pytest

from interviews import selectors as interview_selectors
from interviews.models import ANSWER_MAX, RESUME_MAX, TITLE_MAX, JobPosting, Resume, SessionMessage
from operations import selectors as operation_selectors
from tests.factories import (
    JobPostingFactory,
    OperationFactory,
    QuestionFactory,
    ResumeFactory,
    SessionFactory,
    db_state,
    problem,
)

pytestmark = pytest.mark.django_db

PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}
INTERNAL_ERROR = problem(500, "INTERNAL_ERROR", "An unexpected error occurred. Please try again later.")
UNKNOWN_ID = "3f1c1f5e-8f43-4a4e-9d3b-3d8d1a0c0a11"


def assert_problem(response, status: int, code: str) -> dict:
    """The response is problem details with the given status and code; returns the body."""
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    expected_keys = PROBLEM_KEYS | ({"errors"} if code == "VALIDATION_ERROR" else set())
    assert set(body) == expected_keys
    assert body["type"] == "about:blank"
    assert body["status"] == status
    assert body["code"] == code
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    if code == "VALIDATION_ERROR":
        assert body["errors"]
        for error in body["errors"]:
            assert set(error) == {"field", "message"}
            assert isinstance(error["field"], str) and isinstance(error["message"], str)
    return body


# Every kind of error has the same shape ---------------------------------------------------


def test_validation_error_is_problem_details(client_a):
    body = assert_problem(client_a.post("/api/v1/job-postings", {}), 400, "VALIDATION_ERROR")

    assert body["errors"] == [
        {"field": "title", "message": "This field is required."},
        {"field": "description", "message": "This field is required."},
    ]


def test_not_authenticated_is_problem_details(api_client):
    assert_problem(api_client.get("/api/v1/job-postings"), 401, "NOT_AUTHENTICATED")


def test_invalid_token_is_problem_details(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer nonsense")

    assert_problem(api_client.get("/api/v1/job-postings"), 401, "INVALID_TOKEN")


def test_domain_error_is_problem_details(client_a, user):
    session = SessionFactory(user=user, completed=True)

    assert_problem(client_a.post(f"/api/v1/sessions/{session.id}/complete"), 400, "SESSION_ALREADY_COMPLETED")


def test_conflict_is_problem_details(client_a, user):
    ResumeFactory(user=user)

    assert_problem(client_a.post("/api/v1/resumes", {"content": "again"}), 409, "RESUME_ALREADY_EXISTS")


def test_drf_not_found_is_problem_details(client_a):
    assert_problem(client_a.get(f"/api/v1/job-postings/{UNKNOWN_ID}"), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nope",
        "/api/v1/job-postings/",  # no trailing slashes in this API
        f"/api/v1/sessions/{UNKNOWN_ID}/nope",
        "/api/v1/sessions/not.a.uuid",
        "/api/v2/job-postings",
        "/static/nope.js",
    ],
)
def test_unknown_url_is_404_problem_details(client_a, path):
    body = assert_problem(client_a.get(path), 404, "NOT_FOUND")

    assert body == problem(404, "NOT_FOUND", "Not found.")


def test_unknown_url_is_404_even_without_a_token(api_client):
    assert_problem(api_client.post("/api/v1/nope", {}), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("delete", f"/api/v1/sessions/{UNKNOWN_ID}/messages"),
        ("put", f"/api/v1/sessions/{UNKNOWN_ID}"),
        ("get", f"/api/v1/sessions/{UNKNOWN_ID}/pause"),
        ("post", f"/api/v1/sessions/{UNKNOWN_ID}/messages"),
        ("get", "/api/v1/resumes"),
        ("patch", "/api/v1/resumes/me"),
        ("post", "/api/v1/users/me"),
        ("post", "/api/v1/operations"),
    ],
)
def test_method_not_allowed_is_405_problem_details(client_a, method, path):
    before = db_state()

    response = getattr(client_a, method)(path)

    body = assert_problem(response, 405, "METHOD_NOT_ALLOWED")
    assert body == problem(405, "METHOD_NOT_ALLOWED", f'Method "{method.upper()}" not allowed.')
    assert method.upper() not in response["Allow"].split(", ")
    assert db_state() == before


def test_method_not_allowed_on_a_public_endpoint(api_client):
    assert_problem(api_client.get("/api/v1/auth/login"), 405, "METHOD_NOT_ALLOWED")


# Malformed and mistyped bodies -----------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        ("/api/v1/job-postings", '{"title": "T", "description": '),
        ("/api/v1/job-postings", "{'title': 'single quotes'}"),
        ("/api/v1/resumes", '{"content": "x",}'),
        ("/api/v1/resumes", '{"content": NaN}'),
        ("/api/v1/auth/register", "not json at all"),
    ],
)
def test_malformed_json_is_400_and_writes_nothing(client_a, path, raw):
    before = db_state()

    response = client_a.post(path, data=raw, content_type="application/json")

    body = assert_problem(response, 400, "MALFORMED_REQUEST")
    assert body == problem(400, "MALFORMED_REQUEST", "The request body is not valid JSON.")
    assert db_state() == before


def test_malformed_json_in_a_session_action_writes_nothing(client_a, user):
    session = SessionFactory(user=user)
    QuestionFactory(session=session)
    before = db_state()

    response = client_a.post(f"/api/v1/sessions/{session.id}/answers", data="{oops", content_type="application/json")

    assert_problem(response, 400, "MALFORMED_REQUEST")
    assert db_state() == before


def test_form_encoded_body_is_415(client_a):
    response = client_a.post(
        "/api/v1/job-postings", data="title=T&description=D", content_type="application/x-www-form-urlencoded"
    )

    assert_problem(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert not JobPosting.objects.exists()


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        ("/api/v1/job-postings", "[]"),
        ("/api/v1/job-postings", '"a string"'),
        ("/api/v1/resumes", "null"),
        ("/api/v1/resumes", "42"),
        ("/api/v1/sessions", '[{"job_posting_id": "3f1c1f5e-8f43-4a4e-9d3b-3d8d1a0c0a11"}]'),
    ],
)
def test_a_json_body_that_is_not_an_object_is_400(client_a, path, raw):
    before = db_state()

    response = client_a.post(path, data=raw, content_type="application/json")

    body = assert_problem(response, 400, "VALIDATION_ERROR")
    assert body["errors"][0]["field"] == "non_field_errors"
    assert db_state() == before


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"title": True, "description": "D"}, "title", "Not a valid string."),
        ({"title": ["T"], "description": "D"}, "title", "Not a valid string."),
        ({"title": {"en": "T"}, "description": "D"}, "title", "Not a valid string."),
        (
            {"title": "T", "description": "D", "tech_stack": "python"},
            "tech_stack",
            'Expected a list of items but got type "str".',
        ),
        (
            {"title": "T", "description": "D", "tech_stack": 5},
            "tech_stack",
            'Expected a list of items but got type "int".',
        ),
        ({"title": "T", "description": "D", "company": None}, "company", "This field may not be null."),
        ({"title": "", "description": "D"}, "title", "This field may not be blank."),
        ({"title": "T", "description": "   "}, "description", "This field may not be blank."),
        ({"title": "T\x00", "description": "D"}, "title", "Null characters are not allowed."),
        (
            {"title": "x" * (TITLE_MAX + 1), "description": "D"},
            "title",
            f"Ensure this field has no more than {TITLE_MAX} characters.",
        ),
    ],
    ids=["bool", "list", "object", "stack-string", "stack-int", "null-company", "empty", "blank", "nul", "too-long"],
)
def test_wrong_types_empty_and_long_strings_in_a_job_posting_are_400(client_a, body, field, message):
    before = db_state()

    response = client_a.post("/api/v1/job-postings", body)

    assert_problem(response, 400, "VALIDATION_ERROR")
    assert response.json()["errors"] == [{"field": field, "message": message}]
    assert db_state() == before


def test_numbers_for_text_fields_are_400_and_write_nothing(client_a):
    """The schema says string: a JSON number is refused (DRF's CharField alone would store "123")."""
    response = client_a.post("/api/v1/job-postings", {"title": 123, "description": 4.5})

    assert_problem(response, 400, "VALIDATION_ERROR")
    assert response.json()["errors"] == [
        {"field": "title", "message": "Not a valid string."},
        {"field": "description", "message": "Not a valid string."},
    ]
    assert not JobPosting.objects.exists()


def test_title_at_the_limit_is_accepted(client_a):
    response = client_a.post("/api/v1/job-postings", {"title": "x" * TITLE_MAX, "description": "D"})

    assert response.status_code == 201


def test_over_long_answer_is_400_and_writes_nothing(client_a, user):
    session = SessionFactory(user=user)
    QuestionFactory(session=session)
    before = db_state()

    response = client_a.post(f"/api/v1/sessions/{session.id}/answers", {"answer_text": "a" * (ANSWER_MAX + 1)})

    assert_problem(response, 400, "VALIDATION_ERROR")
    assert response.json()["errors"] == [
        {"field": "answer_text", "message": f"Ensure this field has no more than {ANSWER_MAX} characters."}
    ]
    assert db_state() == before


@pytest.mark.parametrize("answer_text", [12345, True, ["a"], {"text": "a"}])
def test_non_string_answer_is_400(client_a, user, answer_text):
    session = SessionFactory(user=user)
    QuestionFactory(session=session)

    response = client_a.post(f"/api/v1/sessions/{session.id}/answers", {"answer_text": answer_text})

    assert_problem(response, 400, "VALIDATION_ERROR")
    assert response.json()["errors"] == [{"field": "answer_text", "message": "Not a valid string."}]
    assert not SessionMessage.objects.filter(message_type="answer").exists()


def test_over_long_resume_is_400_and_writes_nothing(client_a):
    response = client_a.post("/api/v1/resumes", {"content": "r" * (RESUME_MAX + 1)})

    assert_problem(response, 400, "VALIDATION_ERROR")
    assert response.json()["errors"] == [
        {"field": "content", "message": f"Ensure this field has no more than {RESUME_MAX} characters."}
    ]
    assert not Resume.objects.exists()


def test_lone_surrogate_in_text_is_400_not_500(client_a):
    response = client_a.post(
        "/api/v1/resumes", data='{"content": "broken \\ud83d emoji"}', content_type="application/json"
    )

    assert_problem(response, 400, "VALIDATION_ERROR")
    assert not Resume.objects.exists()


# Unhandled exceptions ---------------------------------------------------------------------


def _explode(**kwargs):
    raise RuntimeError("secret internals: SELECT * FROM users; sk-proj-leak")


@pytest.mark.parametrize(
    ("module", "name", "path"),
    [
        (interview_selectors, "job_posting_list", "/api/v1/job-postings"),
        (interview_selectors, "session_list", "/api/v1/sessions"),
        (interview_selectors, "resume_get", "/api/v1/resumes/me"),
        (operation_selectors, "operation_list", "/api/v1/operations"),
    ],
)
def test_unhandled_exception_is_500_problem_details_without_internals(client_a, monkeypatch, module, name, path):
    monkeypatch.setattr(module, name, _explode)
    # Django's own handling answers it (handler500), as under a real server; the test client
    # would otherwise re-raise the exception into the test.
    client_a.raise_request_exception = False

    response = client_a.get(path)

    body = assert_problem(response, 500, "INTERNAL_ERROR")
    assert body == INTERNAL_ERROR
    text = response.content.decode()
    for leak in ("secret internals", "RuntimeError", "Traceback", "SELECT", "sk-proj", 'File "'):
        assert leak not in text


# Timestamps -------------------------------------------------------------------------------

UTC_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$")


def _timestamps(value, key=""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _timestamps(v, k)
    elif isinstance(value, list):
        for item in value:
            yield from _timestamps(item, key)
    elif key.endswith("_at") and value is not None:
        yield key, value


def test_every_timestamp_has_an_explicit_utc_offset(client_a, user):
    ResumeFactory(user=user)
    posting = JobPostingFactory(user=user)
    session = SessionFactory(user=user, job_posting=posting, completed=True)
    QuestionFactory(session=session)
    operation = OperationFactory(user=user, completed=True)

    responses = [
        client_a.get("/api/v1/users/me"),
        client_a.get("/api/v1/resumes/me"),
        client_a.get("/api/v1/job-postings"),
        client_a.get(f"/api/v1/job-postings/{posting.id}"),
        client_a.get("/api/v1/sessions"),
        client_a.get(f"/api/v1/sessions/{session.id}"),
        client_a.get(f"/api/v1/sessions/{session.id}/messages"),
        client_a.get("/api/v1/operations"),
        client_a.get(f"/api/v1/operations/{operation.id}"),
    ]

    seen = set()
    for response in responses:
        assert response.status_code == 200
        for key, value in _timestamps(response.json()):
            assert UTC_TIMESTAMP.match(value), (key, value)
            seen.add(key)
    assert seen == {"created_at", "updated_at", "completed_at", "started_at", "finished_at"}
