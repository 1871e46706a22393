"""Users' own model keys: PUT/GET/DELETE /users/me/api-key, and every model call running on them."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

from accounts.models import ModelApiKey
from common import crypto
from conftest import PLANTED_KEY
from feedback.tasks import generate_feedback_task
from interviews.tasks import generate_question_task
from llm.errors import USER_KEY_MESSAGES, LLMErrorCode
from operations.models import Operation
from tests.factories import OperationFactory, SessionFactory, completed_session_with_answers, db_state, problem
from tests.fake_openai import Reply

pytestmark = pytest.mark.django_db

URL = "/api/v1/users/me/api-key"
# A user's key in a shape the log filter does not know (not "sk-..."): only the code keeps it out.
USER_KEY = "byok-PLANTED-7f3e9c2a51d04b6e8a0f-q9Z1"


def put(client, key):
    return client.put(URL, {"api_key": key}, format="json")


# The endpoints -------------------------------------------------------------------------------


def test_no_key_yet(client_a):
    response = client_a.get(URL)
    assert response.status_code == 200
    assert response.json() == {"configured": False, "key_hint": None, "validated_at": None}


def test_put_checks_the_key_with_the_provider_then_stores_it_encrypted(client_a, user, fake_llm):
    response = put(client_a, f"  {USER_KEY}\n")  # pasted with spaces around: trimmed

    assert response.status_code == 200
    body = response.json()
    stored = ModelApiKey.objects.get(user=user)
    assert body == {"configured": True, "key_hint": "…q9Z1", "validated_at": body["validated_at"]}
    assert body["validated_at"] is not None
    assert client_a.get(URL).json() == body
    # One cheap call, with that key.
    assert [(c["path"], c["headers"]["authorization"]) for c in fake_llm.calls] == [
        ("/v1/models", f"Bearer {USER_KEY}")
    ]
    # Encrypted at rest: nowhere in the row in clear, and it decrypts back.
    assert USER_KEY not in str(ModelApiKey.objects.filter(user=user).values().get())
    assert crypto.decrypt(stored.encrypted_key) == USER_KEY
    assert USER_KEY not in response.content.decode()


def test_put_again_replaces_the_key(client_a, user, fake_llm):
    put(client_a, USER_KEY)
    response = put(client_a, "another-key-0000-WXYZ")
    assert response.json()["key_hint"] == "…WXYZ"
    assert ModelApiKey.objects.count() == 1
    assert crypto.decrypt(ModelApiKey.objects.get().encrypted_key) == "another-key-0000-WXYZ"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"api_key": ""}, "This field may not be blank."),
        ({"api_key": "   \t "}, "This field may not be blank."),
        ({"api_key": "k" * 513}, "Ensure this field has no more than 512 characters."),
        ({"api_key": "two words"}, "A key has no spaces or control characters inside it."),
        ({"api_key": "nul\x00inside"}, "Null characters are not allowed."),
        ({"api_key": "bell\x07inside"}, "A key has no spaces or control characters inside it."),
        ({"api_key": 12345678}, "Not a valid string."),
        ({}, "This field is required."),
    ],
)
def test_malformed_key_is_400_and_nothing_is_called_or_stored(client_a, fake_llm, body, message):
    before = db_state(ModelApiKey)

    response = client_a.put(URL, body, format="json")

    assert response.status_code == 400
    assert response.json() == problem(400, "VALIDATION_ERROR", message, [{"field": "api_key", "message": message}])
    assert db_state(ModelApiKey) == before
    assert fake_llm.calls == []


def test_key_the_provider_rejects_is_400_and_not_stored(client_a, fake_llm):
    fake_llm.rejected_keys.add(USER_KEY)

    response = put(client_a, USER_KEY)

    assert response.status_code == 400
    assert response.json() == problem(
        400, "AI_KEY_REJECTED", "The AI provider rejected this key. Check that it is complete and still active."
    )
    assert not ModelApiKey.objects.exists()
    assert USER_KEY not in response.content.decode()


@pytest.mark.parametrize("failure", ["down", "5xx"])
def test_provider_unreachable_is_503_and_nothing_stored(client_a, fake_llm, settings, failure):
    if failure == "down":
        settings.OPENAI_BASE_URL = "http://127.0.0.1:9/v1"  # nothing listens
    else:
        fake_llm.models_status = 503

    response = put(client_a, USER_KEY)

    assert response.status_code == 503
    assert response.json()["code"] == "AI_UNAVAILABLE"
    assert response["Retry-After"] == "30"
    assert not ModelApiKey.objects.exists()


def test_a_server_without_a_model_list_accepts_the_key(client_a, fake_llm):
    fake_llm.models_status = 404  # authenticated, but no /models: the key was not refused
    assert put(client_a, USER_KEY).status_code == 200


def test_delete_forgets_the_key(client_a, user, fake_llm):
    put(client_a, USER_KEY)

    assert client_a.delete(URL).status_code == 204
    assert client_a.delete(URL).status_code == 204  # idempotent
    assert not ModelApiKey.objects.exists()
    assert client_a.get(URL).json()["configured"] is False


def test_another_users_key_is_not_theirs(client_a, client_b, fake_llm):
    put(client_a, USER_KEY)
    assert client_b.get(URL).json()["configured"] is False
    assert client_b.delete(URL).status_code == 204
    assert ModelApiKey.objects.count() == 1


def test_unauthenticated_is_401(api_client):
    assert api_client.get(URL).status_code == 401
    assert api_client.put(URL, {"api_key": USER_KEY}, format="json").status_code == 401


# Every model call on the user's own key ------------------------------------------------------


@pytest.fixture
def own_key(client_a, user, fake_llm):
    assert put(client_a, USER_KEY).status_code == 200
    fake_llm.calls.clear()
    return USER_KEY


def test_the_users_operations_run_on_their_key_and_others_on_the_services(own_key, user, other_user, fake_llm):
    mine = OperationFactory(user=user, session=completed_session_with_answers(user=user))
    question = OperationFactory(user=user, session=SessionFactory(user=user), operation_type="question_generation")
    theirs = OperationFactory(user=other_user, session=completed_session_with_answers(user=other_user))

    generate_feedback_task.apply(kwargs={"operation_id": str(mine.id)})
    generate_question_task.apply(kwargs={"operation_id": str(question.id)})
    generate_feedback_task.apply(kwargs={"operation_id": str(theirs.id)})

    assert [c["headers"]["authorization"] for c in fake_llm.calls] == [
        f"Bearer {USER_KEY}",
        f"Bearer {USER_KEY}",
        f"Bearer {PLANTED_KEY}",
    ]
    kinds = {op.pk: (op.status, op.key_kind) for op in Operation.objects.all()}
    assert kinds == {
        mine.pk: ("completed", "user"),
        question.pk: ("completed", "user"),
        theirs.pk: ("completed", "service"),
    }


def test_a_user_with_a_key_needs_no_service_key(own_key, client_a, user, fake_llm, settings):
    settings.OPENAI_API_KEY = ""
    session = SessionFactory(user=user)

    response = client_a.post(f"/api/v1/sessions/{session.id}/generate-question")
    assert response.status_code == 202
    generate_question_task.apply(kwargs={"operation_id": response.json()["id"]})

    assert Operation.objects.get().status == "completed"
    assert fake_llm.calls[0]["headers"]["authorization"] == f"Bearer {USER_KEY}"


def test_without_any_key_requests_are_refused(client_b, other_user, settings):
    settings.OPENAI_API_KEY = ""
    session = SessionFactory(user=other_user)
    response = client_b.post(f"/api/v1/sessions/{session.id}/generate-question")
    assert (response.status_code, response.json()["code"]) == (400, "AI_NOT_CONFIGURED")


def test_a_key_the_provider_stops_accepting_fails_asking_the_user_to_update_it(own_key, user, fake_llm):
    fake_llm.rejected_keys.add(USER_KEY)
    operation = OperationFactory(user=user, session=completed_session_with_answers(user=user))

    generate_feedback_task.apply(kwargs={"operation_id": str(operation.id)})

    operation.refresh_from_db()
    assert (operation.status, operation.error_code, operation.key_kind) == ("failed", "AI_AUTH_FAILED", "user")
    assert operation.error_message == USER_KEY_MESSAGES[LLMErrorCode.AUTH_FAILED]
    assert "Update it in your settings" in operation.error_message
    assert len(fake_llm.calls) == 1  # permanent: not retried


def test_deleting_the_key_falls_back_to_the_service_key(own_key, client_a, user, fake_llm):
    client_a.delete(URL)
    operation = OperationFactory(user=user, session=completed_session_with_answers(user=user))

    generate_feedback_task.apply(kwargs={"operation_id": str(operation.id)})

    assert fake_llm.calls[0]["headers"]["authorization"] == f"Bearer {PLANTED_KEY}"
    operation.refresh_from_db()
    assert (operation.status, operation.key_kind) == ("completed", "service")


def test_the_key_is_never_in_a_response_log_admin_page_or_operation(
    own_key, client_a, user, fake_llm, captured_logs, admin_client
):
    operation = OperationFactory(user=user, session=completed_session_with_answers(user=user))
    fake_llm.default = Reply.error(401, "invalid_api_key", f"Incorrect API key provided: {USER_KEY}")
    generate_feedback_task.apply(kwargs={"operation_id": str(operation.id)})
    fake_llm.default = Reply.feedback()
    put(client_a, USER_KEY)  # stored again, logged as stored

    operation.refresh_from_db()
    pages = [
        client_a.get(URL),
        client_a.get(f"/api/v1/operations/{operation.id}"),
        client_a.get("/api/v1/users/me"),
        admin_client.get(f"/admin/accounts/user/{user.pk}/change/"),
        admin_client.get(f"/admin/operations/operation/{operation.pk}/change/"),
        admin_client.get("/admin/operations/operation/"),
    ]
    assert all(page.status_code == 200 for page in pages)
    assert "…q9Z1" in pages[3].content.decode()  # the admin shows the hint
    logs = captured_logs.getvalue()
    assert "model key stored" in logs  # the pipeline captured our lines: the test proves something
    haystack = [
        logs,
        *(page.content.decode() for page in pages),
        str(Operation.objects.filter(pk=operation.pk).values().get()),
    ]
    for text in haystack:
        assert USER_KEY not in text
        assert USER_KEY[5:25] not in text  # nor a recognisable part of it


# Rotation ----------------------------------------------------------------------------------


def test_rotation_reencrypts_under_the_newest_key_and_old_keys_still_decrypt(own_key, user, settings):
    old = list(settings.FIELD_ENCRYPTION_KEY)
    new = Fernet.generate_key().decode()
    before = ModelApiKey.objects.get(user=user).encrypted_key

    # Rotation step 1: the new key first, the old one after it: what is stored still opens.
    settings.FIELD_ENCRYPTION_KEY = [new, *old]
    assert crypto.decrypt(before) == USER_KEY
    out = io.StringIO()
    call_command("rotate_encryption_keys", stdout=out)

    after = ModelApiKey.objects.get(user=user).encrypted_key
    assert "Re-encrypted 1 stored model key" in out.getvalue()
    assert after != before
    # Step 2: the old key dropped: the re-encrypted value opens with the new one alone.
    settings.FIELD_ENCRYPTION_KEY = [new]
    assert crypto.decrypt(after) == USER_KEY
    with pytest.raises(crypto.InvalidToken):
        crypto.decrypt(before)


def test_a_key_stored_under_a_lost_encryption_key_fails_as_a_rejected_user_key(own_key, user, fake_llm, settings):
    settings.FIELD_ENCRYPTION_KEY = [Fernet.generate_key().decode()]  # the one it was stored under is gone
    operation = OperationFactory(user=user, session=completed_session_with_answers(user=user))

    generate_feedback_task.apply(kwargs={"operation_id": str(operation.id)})

    operation.refresh_from_db()
    assert (operation.status, operation.error_code) == ("failed", "AI_AUTH_FAILED")
    assert fake_llm.calls == []
