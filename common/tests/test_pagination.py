"""Query parameters are as strict as the schema says (schemathesis found them lenient)."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("page_size", ["0", "101", "-1", "abc", "null", ""])
def test_page_size_out_of_range_or_not_a_number_is_400(client_a, page_size):
    response = client_a.get("/api/v1/sessions", {"page_size": page_size})

    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "page_size", "message": "Must be an integer from 1 to 100."}]


@pytest.mark.parametrize("page_size", ["1", "100"])
def test_page_size_in_range(client_a, page_size):
    assert client_a.get("/api/v1/operations", {"page_size": page_size}).status_code == 200


@pytest.mark.parametrize(
    ("path", "name"),
    [("/api/v1/sessions", "status"), ("/api/v1/sessions", "job_posting_id"), ("/api/v1/operations", "operation_type")],
)
def test_blank_filter_is_400(client_a, path, name):
    response = client_a.get(path, {name: ""})

    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert response.json()["errors"] == [{"field": name, "message": "This field may not be blank."}]
