"""Operations in Django admin, through the test client: list, search, detail, the retry action, access."""

from collections.abc import Mapping
from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from operations import services as operation_services
from operations.models import Operation
from tests.factories import (
    FeedbackFactory,
    OperationFactory,
    ResumeFactory,
    UserFactory,
    completed_session_with_answers,
)

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:operations_operation_changelist")


def change_url(operation) -> str:
    return reverse("admin:operations_operation_change", args=[operation.pk])


@pytest.fixture
def staff_superuser(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, staff_superuser):
    client.force_login(staff_superuser)
    return client


@pytest.fixture
def enqueued(monkeypatch):
    """What the on-commit callbacks publish, recorded instead of sent (the broker is not under test)."""
    sent: list[str] = []
    monkeypatch.setattr(
        operation_services, "operation_enqueue", lambda *, operation, attempt=None: sent.append(str(operation.pk))
    )
    return sent


def failed_feedback_operation(**kwargs) -> Operation:
    """A failed feedback analysis of a session that can be analysed again (completed, answered)."""
    session = completed_session_with_answers()
    return OperationFactory.create(user=session.user, session=session, failed=True, **kwargs)


def listed(response) -> set[str]:
    """The ids of the operations on a changelist page (the action checkboxes carry full ids)."""
    return {str(pk) for pk in response.context["cl"].result_list.values_list("pk", flat=True)}


def run_retry(client, *operations):
    return client.post(
        CHANGELIST,
        {"action": "retry_failed", "_selected_action": [str(o.pk) for o in operations]},
        follow=True,
    )


def message_texts(response) -> list[tuple[str, str]]:
    """The messages the (followed) changelist page showed, as (level, text)."""
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def link(operation) -> str:
    return f'<a href="{change_url(operation)}">{str(operation.pk)[:8]}</a>'


def row(operation) -> Mapping[str, Any]:
    return Operation.objects.filter(pk=operation.pk).values().get()


# The list ------------------------------------------------------------------------------------


def test_changelist_shows_badge_email_session_link_and_duration(admin_client):
    failed = failed_feedback_operation()
    running = OperationFactory(processing=True)

    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    assert listed(response) == {str(failed.pk), str(running.pk)}
    content = response.content.decode()
    assert str(failed.pk)[:8] in content
    assert "background:#dc3545" in content  # the failed badge
    assert failed.user.email in content
    assert reverse("admin:interviews_interviewsession_change", args=[failed.session_id]) in content
    assert "running for" in content


@pytest.mark.parametrize(
    "query",
    [
        {"status__exact": "failed"},
        {"status__exact": "failed", "operation_type__exact": "feedback_analysis"},
        {"created_at__gte": "2000-01-01 00:00:00+00:00", "status__exact": "failed"},
    ],
)
def test_changelist_filters(admin_client, query):
    failed = failed_feedback_operation()
    OperationFactory(completed=True)
    OperationFactory()

    response = admin_client.get(CHANGELIST, query)

    assert response.status_code == 200
    assert listed(response) == {str(failed.pk)}


def test_changelist_date_hierarchy(admin_client):
    operation = OperationFactory()

    response = admin_client.get(CHANGELIST, {"created_at__year": operation.created_at.year})

    assert response.status_code == 200
    assert listed(response) == {str(operation.pk)}


def test_search_by_full_operation_id(admin_client):
    wanted = failed_feedback_operation()
    OperationFactory()

    response = admin_client.get(CHANGELIST, {"q": f"  {wanted.pk}  "})

    assert response.status_code == 200
    assert listed(response) == {str(wanted.pk)}


def test_search_by_short_id_matches_the_prefix(admin_client):
    wanted = failed_feedback_operation()
    OperationFactory()

    response = admin_client.get(CHANGELIST, {"q": str(wanted.pk)[:8]})

    assert response.status_code == 200
    assert listed(response) == {str(wanted.pk)}


def test_search_by_session_id(admin_client):
    wanted = failed_feedback_operation()
    OperationFactory()

    response = admin_client.get(CHANGELIST, {"q": str(wanted.session_id)})

    assert listed(response) == {str(wanted.pk)}


def test_search_by_user_email(admin_client):
    user = UserFactory(email="findme@example.com")
    wanted = OperationFactory(user=user)
    OperationFactory()

    response = admin_client.get(CHANGELIST, {"q": "FINDME@example"})

    assert response.status_code == 200
    assert listed(response) == {str(wanted.pk)}


@pytest.mark.parametrize("term", ["not-a-uuid", "1234", "x'y", "%", "zzzzzzzz-zzzz", "0123456789abcdef"])
def test_search_with_a_non_uuid_term_finds_nothing_and_does_not_fail(admin_client, term):
    OperationFactory()

    response = admin_client.get(CHANGELIST, {"q": term})

    assert response.status_code == 200
    assert listed(response) == set()


# The change page -----------------------------------------------------------------------------


def test_change_page_shows_pretty_escaped_result_and_accounting(admin_client):
    operation = OperationFactory(
        completed=True,
        result={"overall_score": 83, "overall_comments": "<b>bold</b>"},
        llm_model="gpt-5.4-mini",
        prompt_version="feedback-v3",
        input_tokens=1234,
        output_tokens=567,
        model_latency_ms=8901,
    )

    response = admin_client.get(change_url(operation))

    assert response.status_code == 200
    content = response.content.decode()
    assert "<pre" in content
    assert "&quot;overall_score&quot;: 83" in content  # indented JSON, one key a line
    assert "&lt;b&gt;bold&lt;/b&gt;" in content
    assert "<b>bold</b>" not in content
    for value in ("gpt-5.4-mini", "feedback-v3", "1234", "567", "8901"):
        assert value in content
    assert 'name="_save"' not in content  # a view, not a form


def test_change_page_shows_error_code_and_message(admin_client):
    operation = failed_feedback_operation(recoveries=2)

    response = admin_client.get(change_url(operation))

    assert response.status_code == 200
    content = response.content.decode()
    assert "AI_UNAVAILABLE" in content
    assert "The AI service is not responding. Please try again in a few minutes." in content
    assert "Lease expires at" in content and "Dispatched at" in content and "Recoveries" in content


def test_change_page_cannot_save_and_nothing_can_be_deleted(admin_client):
    operation = failed_feedback_operation()
    before = row(operation)

    saved = admin_client.post(change_url(operation), {"error_code": "EDITED"})
    deleted = admin_client.post(reverse("admin:operations_operation_delete", args=[operation.pk]), {"post": "yes"})
    added = admin_client.get(reverse("admin:operations_operation_add"))

    assert saved.status_code == 403
    assert deleted.status_code == 403
    assert added.status_code == 403
    assert row(operation) == before


# The retry action ----------------------------------------------------------------------------


def test_retry_creates_one_new_pending_operation_and_enqueues_it_after_commit(
    admin_client, staff_superuser, enqueued, django_capture_on_commit_callbacks
):
    old = failed_feedback_operation()
    before = row(old)

    with django_capture_on_commit_callbacks() as callbacks:
        response = run_retry(admin_client, old)
        assert enqueued == []  # nothing published before the commit

    for callback in callbacks:
        callback()

    assert response.status_code == 200
    new = Operation.objects.exclude(pk=old.pk).get()
    assert new.status == Operation.Status.PENDING
    assert new.operation_type == "feedback_analysis"
    assert (new.session_id, new.user_id) == (old.session_id, old.user_id)
    assert new.attempts == 0 and new.error_code is None
    assert enqueued == [str(new.pk)]  # once, after commit
    assert row(old) == before  # a finished operation never changes
    assert message_texts(response) == [
        ("success", f"Operation {str(old.pk)[:8]} retried: operation {link(new)} (pending).")
    ]
    entry = LogEntry.objects.get(object_id=str(old.pk))
    assert entry.user == staff_superuser
    assert entry.change_message == f"Retried: operation {new.pk}"


def test_retry_of_a_completed_operation_is_refused(admin_client, enqueued, django_capture_on_commit_callbacks):
    completed = OperationFactory(completed=True)
    before = row(completed)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = run_retry(admin_client, completed)

    assert response.status_code == 200
    assert Operation.objects.count() == 1
    assert row(completed) == before
    assert callbacks == [] and enqueued == []
    assert message_texts(response) == [
        (
            "warning",
            f"Operation {str(completed.pk)[:8]} not retried: Only a failed operation can be retried; "
            "this one is completed. (OPERATION_NOT_FAILED)",
        )
    ]
    assert not LogEntry.objects.exists()


def test_retry_when_the_session_already_has_feedback_is_refused(
    admin_client, enqueued, django_capture_on_commit_callbacks
):
    old = failed_feedback_operation(error_code="FEEDBACK_ALREADY_EXISTS")
    FeedbackFactory(session=old.session)
    before = row(old)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = run_retry(admin_client, old)

    assert response.status_code == 200
    assert Operation.objects.count() == 1
    assert row(old) == before
    assert callbacks == [] and enqueued == []
    assert message_texts(response) == [
        (
            "warning",
            f"Operation {str(old.pk)[:8]} not retried: Feedback already exists for this session "
            "(FEEDBACK_ALREADY_EXISTS)",
        )
    ]


def test_retry_without_a_model_configured_is_refused(
    admin_client, settings, enqueued, django_capture_on_commit_callbacks
):
    settings.OPENAI_API_KEY = ""
    old = failed_feedback_operation()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = run_retry(admin_client, old)

    assert Operation.objects.count() == 1
    assert callbacks == [] and enqueued == []
    [(level, text)] = message_texts(response)
    assert level == "warning" and text.endswith("(AI_NOT_CONFIGURED)")


def test_retry_reports_each_row(admin_client, enqueued, django_capture_on_commit_callbacks):
    retryable = failed_feedback_operation()
    completed = OperationFactory(completed=True)
    # A question generation for a completed session: refused by generate-question's own checks.
    other_type = OperationFactory(failed=True, operation_type="question_generation")

    with django_capture_on_commit_callbacks(execute=True):
        response = run_retry(admin_client, retryable, completed, other_type)

    assert response.status_code == 200
    new = Operation.objects.exclude(pk__in=[retryable.pk, completed.pk, other_type.pk]).get()
    assert new.session_id == retryable.session_id
    assert enqueued == [str(new.pk)]
    levels = sorted(level for level, _ in message_texts(response))
    assert levels == ["success", "warning", "warning"]
    assert any(text.endswith("(OPERATION_NOT_FAILED)") for _, text in message_texts(response))
    assert any(text.endswith("(SESSION_NOT_ACTIVE)") for _, text in message_texts(response))


def test_retry_while_an_analysis_is_in_flight_returns_it_and_creates_nothing(
    admin_client, enqueued, django_capture_on_commit_callbacks
):
    old = failed_feedback_operation()
    in_flight = OperationFactory(user=old.user, session=old.session, processing=True)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = run_retry(admin_client, old)

    assert Operation.objects.count() == 2
    assert callbacks == [] and enqueued == []
    assert message_texts(response) == [
        ("success", f"Operation {str(old.pk)[:8]} retried: operation {link(in_flight)} (processing).")
    ]


# Access --------------------------------------------------------------------------------------


def test_non_staff_user_is_sent_to_the_admin_login_and_gets_nothing(client, django_capture_on_commit_callbacks):
    old = failed_feedback_operation()
    client.force_login(UserFactory())

    listing = client.get(CHANGELIST)
    detail = client.get(change_url(old))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        action = client.post(CHANGELIST, {"action": "retry_failed", "_selected_action": [str(old.pk)]})

    for response in (listing, detail, action):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login") + "?next=")
    assert old.user.email.encode() not in listing.content
    assert Operation.objects.count() == 1
    assert callbacks == []


def test_anonymous_is_sent_to_the_admin_login(client):
    response = client.get(CHANGELIST)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_permissions_gets_403(client):
    operation = failed_feedback_operation()
    client.force_login(UserFactory(is_staff=True))

    assert client.get(CHANGELIST).status_code == 403
    assert client.get(change_url(operation)).status_code == 403


def test_staff_with_view_permission_sees_operations_but_cannot_retry(
    client, enqueued, django_capture_on_commit_callbacks
):
    old = failed_feedback_operation()
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_operation"))
    client.force_login(viewer)

    listing = client.get(CHANGELIST)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(CHANGELIST, {"action": "retry_failed", "_selected_action": [str(old.pk)]})

    assert listing.status_code == 200
    assert listed(listing) == {str(old.pk)}
    assert b"retry_failed" not in listing.content
    assert Operation.objects.count() == 1
    assert callbacks == [] and enqueued == []


def test_admin_lists_make_the_same_number_of_queries_for_3_rows_as_for_12(admin_client):
    """list_select_related at work: no query per row on any list."""
    pages = [
        CHANGELIST,
        reverse("admin:feedback_interviewfeedback_changelist"),
        reverse("admin:interviews_interviewsession_changelist"),
        reverse("admin:interviews_jobposting_changelist"),
        reverse("admin:interviews_resume_changelist"),
    ]

    def query_counts() -> list[int]:
        counts = []
        for page in pages:
            with CaptureQueriesContext(connection) as queries:
                assert admin_client.get(page).status_code == 200
            counts.append(len(queries))
        return counts

    def add_rows(n):
        for _ in range(n):
            operation = failed_feedback_operation()
            FeedbackFactory(session=operation.session, operation=operation)
            ResumeFactory(user=operation.user)

    add_rows(3)
    few = query_counts()
    add_rows(9)
    many = query_counts()

    assert many == few
