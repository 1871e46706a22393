"""No input reaches a 500: a sweep over every write endpoint of the URLconf with hostile bodies.

For each route of the API and each method that may carry a body, as the owner of real rows (so
the body is really parsed, not refused by a 404 first): a 5 MB body, a document nested 100,000
deep, invalid UTF-8, NUL characters and lone surrogates in every string. No answer is a 5xx.
Where the endpoint takes a body (its OpenAPI operation has a request body), the answer is a 4xx
problem details and nothing is written; actions without a body (pause, cancel...) ignore it.
"""

import json
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator

from tests.factories import (
    JobPostingFactory,
    OperationFactory,
    QuestionFactory,
    ResumeFactory,
    SessionFactory,
    db_state,
)

pytestmark = pytest.mark.django_db

BODY_METHODS = ("post", "put", "patch")


def api_routes() -> list[tuple[str, str]]:
    """(regex, method) for every DRF route under api/v1/ whose method may carry a body."""
    found: list[tuple[str, str]] = []

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            regex = prefix + str(pattern.pattern.regex.pattern).lstrip("^").rstrip("$")
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, regex)
            elif isinstance(pattern, URLPattern) and regex.startswith("api/v1/"):
                actions = getattr(pattern.callback, "actions", None) or {}
                found.extend((regex, method) for method in actions if method in BODY_METHODS)

    walk(get_resolver().url_patterns, "")
    return sorted(set(found))


ROUTES = api_routes()
GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")


def takes_a_body(regex: str, method: str) -> bool:
    """Whether the OpenAPI schema gives this route and method a request body."""
    path = "/" + GROUP.sub(lambda m: "{id}" if m.group(1) == "pk" else f"{{{m.group(1)}}}", regex).replace("\\", "")
    return "requestBody" in SCHEMA["paths"].get(path, {}).get(method, {})


SCHEMA = SchemaGenerator().get_schema(request=None, public=True)


@pytest.fixture
def owned(user):
    """The user's rows, one per collection an id in a path can name."""
    posting = JobPostingFactory(user=user)
    ResumeFactory(user=user)
    session = SessionFactory(user=user, job_posting=posting)
    QuestionFactory(session=session)
    operation = OperationFactory(user=user, failed=True)
    return {"job-postings": posting.id, "sessions": session.id, "operations": operation.id}


def concrete(regex: str, owned: dict) -> str:
    collection = regex.split("/")[2]
    path = GROUP.sub(lambda m: str(owned.get(collection, "00000000-0000-0000-0000-000000000000")), regex)
    return "/" + path.replace("\\", "")


NESTED = "[" * 100_000 + "]" * 100_000


def hostile_bodies() -> dict[str, bytes]:
    strings = {
        "title": "t\x00",
        "description": "d\x00",
        "company": "\x00",
        "content": "c\x00",
        "answer_text": "a\x00",
        "email": "a\x00@example.com",
        "password": "p\x00ssword-long",
        "refresh_token": "\x00",
        "api_key": "k\x00",
        "question_type": "technical\x00",
        "job_posting_id": "\x00",
        "current_password": "\x00",
        "new_password": "\x00new-password",
        "tech_stack": ["\x00"],
    }
    return {
        "5MB": json.dumps({"title": "x" * (5 * 1024 * 1024), "description": "d", "content": "c"}).encode(),
        "deeply-nested": NESTED.encode(),
        "invalid-utf8": b'{"title": "\xff\xfe\xfd", "content": "\xc3\x28"}',
        "nul-in-every-string": json.dumps(strings).encode(),
        "lone-surrogates": json.dumps({k: "\ud800" for k in strings}).encode(),
        "not-an-object": b"[1, 2, 3]",
    }


BODIES = hostile_bodies()


@pytest.mark.parametrize("body_name", BODIES)
@pytest.mark.parametrize(("regex", "method"), ROUTES, ids=[f"{m.upper()} {r}" for r, m in ROUTES])
def test_hostile_body_never_reaches_a_500(client_a, owned, regex, method, body_name, settings):
    settings.LOGIN_RATE_LIMIT_PER_ADDRESS = settings.REGISTER_RATE_LIMIT_PER_ADDRESS = ""
    path = concrete(regex, owned)
    before = db_state()

    response = client_a.generic(method.upper(), path, BODIES[body_name], content_type="application/json")

    assert response.status_code < 500, (path, response.status_code, response.content[:300])
    if response.status_code >= 400:
        assert response["Content-Type"] == "application/problem+json"
        assert "code" in json.loads(response.content)
    if takes_a_body(regex, method):
        assert 400 <= response.status_code < 500, (path, response.status_code, response.content[:300])
        if body_name == "5MB":
            assert (response.status_code, json.loads(response.content)["code"]) == (413, "REQUEST_TOO_LARGE")
        assert db_state() == before


def test_the_sweep_covers_the_api():
    """The sweep is not empty and reaches every app's write endpoints."""
    paths = {regex for regex, _ in ROUTES}
    for expected in ("auth/login", "job-postings", "resumes", "sessions", "generate-question", "operations", "api-key"):
        assert any(expected in p for p in paths), expected
    assert len(ROUTES) >= 20
    with_body = [r for r in ROUTES if takes_a_body(*r)]
    assert len(with_body) >= 12, with_body
