"""Error codes: each declared once (a ProblemCode beside its exception), the schema reads the declarations."""

import copy
import json
import pickle
from types import SimpleNamespace

import pytest

from accounts.services import AI_NOT_CONFIGURED, INVALID_CREDENTIALS
from common import exceptions
from common.exceptions import (
    NOT_FOUND,
    ApplicationError,
    ProblemCode,
    declared_problem_codes,
    problem,
    problem_code,
)
from common.schema import ProblemAutoSchema, problem_codes
from feedback.services import FEEDBACK_ALREADY_EXISTS
from llm import LLMErrorCode


@pytest.fixture
def scratch_code():
    """A code declared for one test only."""
    yield ProblemCode("TEST_ONLY_CODE", 418, when="a test declared it", example="I'm a teapot.")
    exceptions._declared.pop("TEST_ONLY_CODE", None)


def test_a_code_is_the_string_itself():
    assert FEEDBACK_ALREADY_EXISTS == "FEEDBACK_ALREADY_EXISTS"
    assert isinstance(FEEDBACK_ALREADY_EXISTS, str)
    assert (FEEDBACK_ALREADY_EXISTS.status, FEEDBACK_ALREADY_EXISTS.example) == (
        409,
        "Feedback already exists for this session",
    )
    # The body holds a plain string, so it renders exactly as a literal did.
    body = problem(409, FEEDBACK_ALREADY_EXISTS, "x")
    assert type(body["code"]) is str
    assert json.dumps(body) == json.dumps(problem(409, "FEEDBACK_ALREADY_EXISTS", "x"))


def test_model_codes_are_the_llm_codes():
    assert AI_NOT_CONFIGURED == LLMErrorCode.NOT_CONFIGURED
    # A body carries the plain string, whatever kind of code was raised.
    assert type(exceptions.problem(400, AI_NOT_CONFIGURED, "No model.")["code"]) is str


def test_declaring_again_identically_is_the_same_code_and_differently_an_error(scratch_code):
    again = ProblemCode("TEST_ONLY_CODE", 418, when="a test declared it", example="I'm a teapot.")
    assert again is scratch_code
    with pytest.raises(ValueError, match="already declared differently"):
        ProblemCode("TEST_ONLY_CODE", 400, when="a test declared it", example="I'm a teapot.")


def test_copies_and_pickles_are_the_declared_code():
    assert copy.copy(NOT_FOUND) is NOT_FOUND
    assert copy.deepcopy(INVALID_CREDENTIALS) is INVALID_CREDENTIALS
    assert pickle.loads(pickle.dumps(FEEDBACK_ALREADY_EXISTS)) is FEEDBACK_ALREADY_EXISTS


def test_an_undeclared_code_fails_loudly():
    with pytest.raises(LookupError, match="undeclared problem code 'NO_SUCH_CODE'"):
        problem_code("NO_SUCH_CODE")
    with pytest.raises(LookupError, match="NO_SUCH_CODE"):
        problem_codes("NOT_FOUND", "NO_SUCH_CODE")


def test_a_handler_may_name_a_declared_code_by_its_string():
    @problem_codes("FEEDBACK_ALREADY_EXISTS")
    def handler():
        pass

    assert handler._problem_codes == (FEEDBACK_ALREADY_EXISTS,)
    assert handler._problem_codes[0] is FEEDBACK_ALREADY_EXISTS


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_application_error_has_a_declared_code():
    for cls in (ApplicationError, *_subclasses(ApplicationError)):
        if cls.__module__.startswith(("common.tests", "tests")):
            continue
        assert problem_code(cls.code) is cls.code, cls


def test_every_drf_exception_of_ours_answers_a_declared_code():
    """The handler answers a DRF exception of ours with its default_code upper-cased."""
    from rest_framework.exceptions import APIException

    import common.throttling  # noqa: F401 - defines one

    ours = [
        cls
        for cls in _subclasses(APIException)
        if cls.__module__.split(".")[0] in ("common", "accounts", "interviews", "operations", "feedback")
        and ".tests" not in cls.__module__
        and not issubclass(cls, ApplicationError)
    ]
    assert ours  # LimitUnavailableError at least
    for cls in ours:
        code = problem_code(str(cls.default_code).upper())
        assert code.status == cls.status_code, cls


def test_the_schema_documents_a_code_from_its_declaration(scratch_code):
    """Status, description and example: all read from the ProblemCode."""
    schema = ProblemAutoSchema()
    schema.resolve_serializer = lambda serializer, direction: SimpleNamespace(ref={"$ref": "ProblemDetails"})

    response = schema._problem_response(418, [scratch_code])

    content = response["content"]["application/problem+json"]
    assert content["schema"]["allOf"][1]["properties"]["code"]["enum"] == ["TEST_ONLY_CODE"]
    assert content["examples"]["TEST_ONLY_CODE"] == {
        "summary": "A test declared it",
        "value": problem(418, "TEST_ONLY_CODE", "I'm a teapot."),
    }
    assert response["description"] == "Problem details; `code` is one of: `TEST_ONLY_CODE`: a test declared it."


def test_the_declared_codes_include_every_app_s():
    codes = declared_problem_codes()
    for code in ("VALIDATION_ERROR", "EMAIL_ALREADY_REGISTERED", "SESSION_NOT_ACTIVE", "OPERATION_NOT_FAILED"):
        assert code in codes
    assert codes["FEEDBACK_NOT_FOUND"].status == 404
