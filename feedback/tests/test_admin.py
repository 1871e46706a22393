"""Feedback in Django admin, and feedback_retry: the service behind the operations admin's retry."""

import pytest
from django.urls import reverse

from common.exceptions import ApplicationError
from operations import services as operation_services
from operations.models import Operation
from operations.services import operation_retry
from tests.factories import (
    FeedbackFactory,
    OperationFactory,
    UserFactory,
    completed_session_with_answers,
    db_state,
)

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:feedback_interviewfeedback_changelist")


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def enqueued(monkeypatch):
    sent: list[str] = []
    monkeypatch.setattr(
        operation_services, "operation_enqueue", lambda *, operation, attempt=None: sent.append(str(operation.pk))
    )
    return sent


def feedback_with_operation(**kwargs):
    operation = OperationFactory(completed=True)
    return FeedbackFactory(session=operation.session, operation=operation, **kwargs)


# Admin pages ---------------------------------------------------------------------------------


def test_changelist_shows_scores_and_links(admin_client):
    feedback = feedback_with_operation()

    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    content = response.content.decode()
    assert feedback.session.user.email in content
    assert reverse("admin:interviews_interviewsession_change", args=[feedback.session_id]) in content
    assert reverse("admin:operations_operation_change", args=[feedback.operation_id]) in content
    assert '<td class="field-overall_score">83</td>' in content


@pytest.mark.parametrize("by", ["session", "email"])
def test_search_by_session_id_or_email(admin_client, by):
    wanted = feedback_with_operation()
    FeedbackFactory()
    term = str(wanted.session_id) if by == "session" else wanted.session.user.email

    response = admin_client.get(CHANGELIST, {"q": term})

    assert response.status_code == 200
    assert [f.pk for f in response.context["cl"].result_list] == [wanted.pk]


def test_change_page_renders_lists_escaped_and_is_read_only(admin_client):
    feedback = feedback_with_operation(
        knowledge_gaps=["Query plans", "<script>alert(1)</script>"],
        learning_recommendations=["Read EXPLAIN docs"],
    )

    response = admin_client.get(reverse("admin:feedback_interviewfeedback_change", args=[feedback.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert "<li>Query plans</li>" in content
    assert "<li>&lt;script&gt;alert(1)&lt;/script&gt;</li>" in content
    assert "<script>alert(1)</script>" not in content
    assert "<li>Read EXPLAIN docs</li>" in content
    assert reverse("admin:operations_operation_change", args=[feedback.operation_id]) in content
    assert 'name="_save"' not in content


def test_change_page_of_feedback_whose_operation_is_gone(admin_client):
    feedback = FeedbackFactory(operation=None)

    response = admin_client.get(reverse("admin:feedback_interviewfeedback_change", args=[feedback.pk]))

    assert response.status_code == 200


def test_staff_without_permissions_gets_403(client):
    feedback = FeedbackFactory()
    client.force_login(UserFactory(is_staff=True))

    assert client.get(CHANGELIST).status_code == 403
    assert client.get(reverse("admin:feedback_interviewfeedback_change", args=[feedback.pk])).status_code == 403


# operation_retry of a feedback analysis (the admin's retry action and POST /operations/{id}/retry) -----


def failed_operation(**kwargs) -> Operation:
    session = completed_session_with_answers()
    return OperationFactory.create(user=session.user, session=session, failed=True, **kwargs)


def test_retry_creates_a_new_pending_operation(enqueued, django_capture_on_commit_callbacks):
    old = failed_operation()
    old_row = Operation.objects.filter(pk=old.pk).values().get()

    with django_capture_on_commit_callbacks(execute=True):
        new, created = operation_retry(operation=old)

    assert created and new.pk != old.pk
    assert new.status == Operation.Status.PENDING
    assert (new.session_id, new.user_id, new.operation_type) == (old.session_id, old.user_id, old.operation_type)
    assert Operation.objects.count() == 2
    assert Operation.objects.filter(pk=old.pk).values().get() == old_row
    assert enqueued == [str(new.pk)]


@pytest.mark.parametrize(
    ("make", "code", "status"),
    [
        (lambda: OperationFactory(completed=True), "OPERATION_NOT_FAILED", 409),
        (lambda: OperationFactory(), "OPERATION_NOT_FAILED", 409),
        (lambda: OperationFactory(processing=True), "OPERATION_NOT_FAILED", 409),
        (lambda: OperationFactory(failed=True, error_code="AI_BAD_REQUEST"), "OPERATION_NOT_RETRYABLE", 409),
        (lambda: OperationFactory(failed=True, error_code="SESSION_NOT_FOUND"), "OPERATION_NOT_RETRYABLE", 409),
        (lambda: OperationFactory(cancelled=True), "OPERATION_NOT_FAILED", 409),
    ],
)
def test_retry_refuses_what_is_not_a_curable_failure(make, code, status, enqueued, django_capture_on_commit_callbacks):
    operation = make()
    before = db_state()

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(ApplicationError) as error:
        operation_retry(operation=operation)

    assert (error.value.code, error.value.status_code) == (code, status)
    assert db_state() == before
    assert callbacks == [] and enqueued == []


def test_retry_applies_the_api_checks(enqueued, django_capture_on_commit_callbacks):
    old = failed_operation()
    FeedbackFactory(session=old.session)
    before = db_state()

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(ApplicationError) as error:
        operation_retry(operation=old)

    assert error.value.code == "FEEDBACK_ALREADY_EXISTS"
    assert db_state() == before
    assert callbacks == [] and enqueued == []
