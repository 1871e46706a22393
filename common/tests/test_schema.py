"""The OpenAPI schema: it generates without warnings, validates, and says what the contract says."""

import re

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
GENERATE = "/api/v1/sessions/{id}/generate-feedback"


@pytest.fixture(scope="module")
def schema(tmp_path_factory, django_db_blocker) -> dict:
    """The schema as CI builds it: `manage.py spectacular --validate --fail-on-warn`."""
    path = tmp_path_factory.mktemp("schema") / "schema.yml"
    with django_db_blocker.unblock():
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def problem_codes(operation: dict, status: int) -> list[str]:
    content = operation["responses"][str(status)]["content"]
    assert list(content) == [PROBLEM]
    schema = content[PROBLEM]["schema"]
    assert schema["allOf"][0] == {"$ref": "#/components/schemas/ProblemDetails"}
    assert schema["allOf"][1]["properties"]["status"]["enum"] == [status]
    codes = schema["allOf"][1]["properties"]["code"]["enum"]
    assert set(content[PROBLEM]["examples"]) == set(codes)
    for code in codes:
        assert f"`{code}`" in operation["responses"][str(status)]["description"]
    return codes


def test_paths_carry_no_trailing_slash(schema):
    assert all(not path.endswith("/") for path in schema["paths"])
    assert all(path.startswith("/api/v1/") for path in schema["paths"])


def test_generate_feedback_202_with_location_and_retry_after(schema):
    operation = schema["paths"][GENERATE]["post"]
    accepted = operation["responses"]["202"]

    assert accepted["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Operation"}
    assert set(accepted["content"]["application/json"]["examples"]) == {"Pending"}
    location, retry_after = accepted["headers"]["Location"], accepted["headers"]["Retry-After"]
    assert location["required"] is True
    assert re.match(location["schema"]["pattern"], "/api/v1/operations/5c0e8a4e-3a8f-4d2b-9f0a-1b7e6f2d4c33")
    assert retry_after == {"schema": {"type": "integer"}, "description": retry_after["description"], "required": True}
    assert "requestBody" not in operation


def test_generate_feedback_lists_its_error_codes(schema):
    operation = schema["paths"][GENERATE]["post"]

    assert set(operation["responses"]) == {"202", "400", "401", "404", "409", "429"}
    assert problem_codes(operation, 400) == ["SESSION_NOT_COMPLETED", "NO_ANSWERS_TO_ANALYZE", "AI_NOT_CONFIGURED"]
    assert problem_codes(operation, 401) == ["NOT_AUTHENTICATED", "INVALID_TOKEN"]
    assert problem_codes(operation, 404) == ["NOT_FOUND"]
    assert problem_codes(operation, 409) == ["FEEDBACK_ALREADY_EXISTS"]
    assert problem_codes(operation, 429) == ["RATE_LIMITED"]
    assert operation["responses"]["429"]["headers"]["Retry-After"]["required"] is True


def test_operation_poll_documents_retry_after_and_examples(schema):
    ok = schema["paths"]["/api/v1/operations/{id}"]["get"]["responses"]["200"]

    assert ok["headers"]["Retry-After"]["schema"] == {"type": "integer"}
    assert not ok["headers"]["Retry-After"].get("required")
    examples = ok["content"]["application/json"]["examples"]
    assert set(examples) == {
        "Pending",
        "CompletedFeedbackAnalysis",
        "CompletedQuestionGeneration",
        "Failed",
        "Cancelled",
    }
    assert examples["Pending"]["value"]["status"] == "pending"
    assert examples["CompletedFeedbackAnalysis"]["value"]["result"]["overall_score"] == 83
    assert examples["CompletedQuestionGeneration"]["value"]["result"]["message_type"] == "question"
    assert examples["Failed"]["value"]["error_code"] == "AI_TIMEOUT"
    assert examples["Cancelled"]["value"]["status"] == "cancelled"
    properties = schema["components"]["schemas"]["Operation"]["properties"]
    assert properties["result"]["oneOf"] == [
        {"$ref": "#/components/schemas/Feedback"},
        {"$ref": "#/components/schemas/Message"},
    ]
    assert properties["result"]["nullable"] is True
    # Types and statuses as enums: every registered type, and the lifecycle's five statuses.
    enums = schema["components"]["schemas"]
    assert enums["OperationTypeEnum"]["enum"] == ["feedback_analysis", "question_generation"]
    assert enums["OperationStatusEnum"]["enum"] == ["pending", "processing", "completed", "failed", "cancelled"]


def test_feedback_has_an_example_and_bounded_scores(schema):
    operation = schema["paths"]["/api/v1/sessions/{id}/feedback"]["get"]
    ok = operation["responses"]["200"]["content"]["application/json"]

    assert ok["examples"]["Feedback"]["value"]["overall_score"] == 83
    assert problem_codes(operation, 404) == ["NOT_FOUND", "FEEDBACK_NOT_FOUND"]
    score = schema["components"]["schemas"]["Feedback"]["properties"]["overall_score"]
    assert (score["type"], score["minimum"], score["maximum"]) == ("integer", 0, 100)


def test_problem_details_component(schema):
    problem = schema["components"]["schemas"]["ProblemDetails"]

    assert set(problem["properties"]) == {"type", "title", "status", "detail", "code", "errors"}
    assert set(problem["required"]) == {"type", "title", "status", "detail", "code"}
    assert problem["properties"]["errors"]["items"] == {"$ref": "#/components/schemas/ProblemFieldError"}
    field_error = schema["components"]["schemas"]["ProblemFieldError"]
    assert set(field_error["required"]) == {"field", "message"}


def test_every_error_response_is_problem_details(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert list(response["content"]) == [PROBLEM], (method, path, status)


def test_jwt_bearer_security_and_public_auth_endpoints(schema):
    assert schema["components"]["securitySchemes"]["jwtAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            if path.startswith("/api/v1/auth/"):
                assert operation["security"] == [{}], path
                assert "NOT_AUTHENTICATED" not in str(operation["responses"]), path
            elif path == "/api/v1/operations/{id}/events":
                # A browser's EventSource passes a stream ticket instead of the header.
                assert operation["security"] == [{"streamTicket": []}, {"jwtAuth": []}]
            else:
                assert operation["security"] == [{"jwtAuth": []}], (method, path)
                assert problem_codes(operation, 401) == ["NOT_AUTHENTICATED", "INVALID_TOKEN"]


def test_auth_endpoints_document_their_codes_and_throttles(schema):
    login = schema["paths"]["/api/v1/auth/login"]["post"]
    register = schema["paths"]["/api/v1/auth/register"]["post"]
    refresh = schema["paths"]["/api/v1/auth/refresh"]["post"]

    assert problem_codes(login, 401) == ["INVALID_CREDENTIALS"]
    assert problem_codes(login, 429) == ["RATE_LIMITED"]
    assert problem_codes(register, 409) == ["EMAIL_ALREADY_REGISTERED"]
    assert problem_codes(register, 429) == ["RATE_LIMITED"]
    assert problem_codes(refresh, 401) == ["INVALID_TOKEN"]
    assert problem_codes(refresh, 429) == ["RATE_LIMITED"]
    assert problem_codes(login, 400) == ["VALIDATION_ERROR", "MALFORMED_REQUEST"]
    assert problem_codes(login, 415) == ["UNSUPPORTED_MEDIA_TYPE"]
    assert problem_codes(login, 413) == ["REQUEST_TOO_LARGE"]
    password = schema["paths"]["/api/v1/users/me/password"]["post"]
    assert problem_codes(password, 400) == ["VALIDATION_ERROR", "MALFORMED_REQUEST", "INVALID_CREDENTIALS"]


def test_session_state_codes(schema):
    def codes(path, status=400):
        return problem_codes(schema["paths"][f"/api/v1/sessions/{{id}}/{path}"]["post"], status)

    assert codes("pause") == ["SESSION_NOT_ACTIVE"]
    assert codes("resume") == ["SESSION_NOT_PAUSED"]
    assert codes("complete") == ["SESSION_ALREADY_COMPLETED"]
    assert codes("answers") == ["VALIDATION_ERROR", "MALFORMED_REQUEST", "SESSION_NOT_ACTIVE", "TRANSCRIPT_TOO_LONG"]
    assert problem_codes(schema["paths"]["/api/v1/resumes"]["post"], 409) == ["RESUME_ALREADY_EXISTS"]


def test_pagination_parameters_are_bounded(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/sessions"]["get"]["parameters"]}

    assert parameters["page"]["schema"] == {"type": "integer", "minimum": 1}
    assert parameters["page_size"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}


# The served schema and its readers --------------------------------------------------------------


def test_schema_is_served_publicly_even_with_a_broken_token(client):
    response = client.get("/api/v1/schema/?format=json", HTTP_AUTHORIZATION="Bearer broken")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert GENERATE in response.json()["paths"]


@pytest.mark.parametrize(("path", "asset"), [("/api/v1/docs/", "swagger-ui-dist"), ("/api/v1/redoc/", "redoc")])
def test_docs_ui_loads_its_assets_from_our_static_files(client, path, asset):
    response = client.get(path)

    assert response.status_code == 200
    html = response.content.decode()
    assert f"/static/drf_spectacular_sidecar/{asset}/" in html
    assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html
    assert "/api/v1/schema/" in html


def test_options_is_405_not_500(api_client):
    """DRF's OPTIONS metadata is off (it answered 500 on /auth/*: no serializer_class)."""
    response = api_client.options("/api/v1/auth/login")

    assert response.status_code == 405
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "METHOD_NOT_ALLOWED"
