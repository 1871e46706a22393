"""Schemathesis against the app: generated requests, every response checked against the schema.

The schema is loaded from the app itself (``/api/v1/schema/``) and the requests go through the
real WSGI application, in process (no HTTP server to start), as a logged-in user who owns a
job posting, sessions in each state, feedback and operations. Path ids are drawn both at random
(-> 404 ``NOT_FOUND``) and from those rows, so the success paths are exercised too.

Checks: no 5xx, ever; every status code, content type, header and body as documented
(Schemathesis' default checks, including negative data rejection).
"""

import uuid

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework_simplejwt.tokens import RefreshToken
from schemathesis.specs.openapi.checks import positive_data_acceptance

from feedback.serializers import FeedbackSerializer
from operations import services as operation_services
from tests.factories import (
    FeedbackFactory,
    JobPostingFactory,
    OperationFactory,
    QuestionFactory,
    ResumeFactory,
    SessionFactory,
    completed_session_with_answers,
)

pytestmark = pytest.mark.slow

# Bounded: ~27 operations x up to this many examples, well under a minute on 2 cores.
MAX_EXAMPLES = 15


# The schema, from the app; loaded at collection (no database needed to build it).
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())
# Ids of the test user's rows by collection, filled by the `owned_rows` fixture.
OWNED: dict[str, list[str]] = {}


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Valid ids are random (404) or name the user's own rows (the success paths).

    A deliberately invalid id (negative testing) is left as it is.
    """
    collection = context.operation.path.split("/")[3]
    if not path_parameters or not _is_uuid(path_parameters.get("id")) or not OWNED.get(collection):
        return st.just(path_parameters)
    return st.one_of(st.just(path_parameters), st.sampled_from(OWNED[collection]).map(lambda id_: {"id": id_}))


@pytest.fixture
def owned_rows(transactional_db, user, monkeypatch, settings, fake_llm):
    """Rows of `user` in every state (committed: each request runs its own transactions).

    The fake model server answers the key check of PUT /users/me/api-key (a real provider is
    never called; an unreachable one is a documented 503, tested in accounts/).
    """
    # The 202 path runs, but publishes nothing to the shared test broker.
    monkeypatch.setattr(operation_services, "operation_enqueue", lambda **kwargs: None)
    # Generated logins and registrations all come from one address.
    settings.LOGIN_RATE_LIMIT_PER_ADDRESS = settings.REGISTER_RATE_LIMIT_PER_ADDRESS = "10000/minute"

    job_posting = JobPostingFactory(user=user)
    ResumeFactory(user=user)
    active = SessionFactory(user=user, job_posting=job_posting)
    QuestionFactory(session=active)
    paused = SessionFactory(user=user, job_posting=job_posting, paused=True)
    ready = completed_session_with_answers(user=user, job_posting=job_posting)
    reviewed = completed_session_with_answers(user=user, job_posting=job_posting)
    feedback = FeedbackFactory(session=reviewed)
    completed = OperationFactory(user=user, session=reviewed, completed=True, result=FeedbackSerializer(feedback).data)
    pending = OperationFactory(user=user, session=ready)
    failed = OperationFactory(user=user, session=ready, failed=True)
    OWNED.update(
        {
            "job-postings": [str(job_posting.id)],
            "sessions": [str(s.id) for s in (active, paused, ready, reviewed)],
            "operations": [str(o.id) for o in (completed, pending, failed)],
        }
    )
    yield
    OWNED.clear()


@pytest.fixture
def bearer(user) -> str:
    return f"Bearer {RefreshToken.for_user(user).access_token}"


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,  # the same cases on every run: a red build is reproducible
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_api_conforms_to_its_schema(case, bearer, owned_rows):
    # The user's token, except where the case is about a missing or broken one (-> 401).
    if not case.operation.schema.is_security_param_negated(case):
        case.headers = {**(case.headers or {}), "Authorization": bearer}
    case.call_and_validate(excluded_checks=[positive_data_acceptance], additional_checks=[well_formed_input_is_parsed])


def well_formed_input_is_parsed(ctx, response, case):
    """Schema-valid input is never refused as malformed or of the wrong media type.

    This replaces Schemathesis' ``positive_data_acceptance``: a schema-valid request may still be
    refused for reasons a schema cannot hold - the session's state (``SESSION_NOT_ACTIVE``),
    the password policy, whitespace-only text - and those answers are documented.
    """
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    assert response.status_code != 415, f"schema-valid body refused as 415: {response.text[:300]}"
    if response.status_code == 400:
        code = response.json().get("code")
        assert code != "MALFORMED_REQUEST", f"schema-valid body refused as malformed: {response.text[:300]}"
    return None
