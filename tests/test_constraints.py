"""The rules the database itself holds (DESIGN.md, STYLE.md "A model"): direct ORM writes.

Each negative case runs inside its own ``transaction.atomic()`` so the failed statement
rolls back to a savepoint and the test can check that nothing was written.
"""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from feedback.models import InterviewFeedback
from interviews.models import InterviewSession, JobPosting, Resume, SessionMessage
from operations.models import Operation
from tests.factories import (
    FeedbackFactory,
    JobPostingFactory,
    OperationFactory,
    QuestionFactory,
    ResumeFactory,
    SessionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

SCORES = (
    "technical_accuracy_score",
    "communication_clarity_score",
    "problem_solving_score",
    "relevance_score",
    "overall_score",
)


def feedback_for(session: InterviewSession, **overrides) -> InterviewFeedback:
    return FeedbackFactory.create(session=session, **overrides)


def assert_rejected(create, model, *, constraint: str | None = None) -> None:
    """`create()` raises IntegrityError (naming `constraint` if given) and leaves `model` as it was."""
    count = model.objects.count()
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        create()
    if constraint:
        assert constraint in str(excinfo.value)
    assert model.objects.count() == count


# Users ------------------------------------------------------------------------------------


def test_duplicate_email_in_another_case_is_rejected():
    User(email="a@x.com").save()

    assert_rejected(lambda: User(email="A@x.com").save(), User, constraint="users_email_ci_unique")
    assert list(User.objects.values_list("email", flat=True)) == ["a@x.com"]


def test_duplicate_email_in_the_same_case_is_rejected():
    User(email="a@x.com").save()

    assert_rejected(lambda: User(email="a@x.com").save(), User)


# Job postings and résumés -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "constraint"),
    [("title", "job_postings_title_not_empty"), ("description", "job_postings_description_not_empty")],
)
def test_job_posting_requires_title_and_description(field, constraint):
    user = UserFactory()

    assert_rejected(lambda: JobPostingFactory(user=user, **{field: ""}), JobPosting, constraint=constraint)


def test_second_resume_for_a_user_is_rejected():
    first = ResumeFactory()

    assert_rejected(lambda: Resume.objects.create(user=first.user, content="Another one."), Resume)
    assert list(Resume.objects.all()) == [first]


def test_resume_content_must_not_be_empty():
    user = UserFactory()

    assert_rejected(lambda: ResumeFactory(user=user, content=""), Resume, constraint="resumes_content_not_empty")


def test_resumes_of_different_users_coexist():
    ResumeFactory()
    ResumeFactory()

    assert Resume.objects.count() == 2


# Interview sessions -----------------------------------------------------------------------


def test_invalid_session_status_is_rejected():
    posting = JobPostingFactory()

    assert_rejected(
        lambda: SessionFactory(user=posting.user, job_posting=posting, status="archived"),
        InterviewSession,
        constraint="sessions_status_valid",
    )


def test_completed_session_without_completed_at_is_rejected():
    posting = JobPostingFactory()

    assert_rejected(
        lambda: SessionFactory(user=posting.user, job_posting=posting, status="completed", completed_at=None),
        InterviewSession,
        constraint="sessions_completed_at_matches_status",
    )


@pytest.mark.parametrize("status", ["active", "paused"])
def test_unfinished_session_with_completed_at_is_rejected(status):
    posting = JobPostingFactory()

    assert_rejected(
        lambda: SessionFactory(user=posting.user, job_posting=posting, status=status, completed_at=timezone.now()),
        InterviewSession,
        constraint="sessions_completed_at_matches_status",
    )


def test_completing_a_session_through_a_bare_update_needs_completed_at():
    session = SessionFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        InterviewSession.objects.filter(pk=session.pk).update(status="completed")

    session.refresh_from_db()
    assert session.status == "active"


def test_valid_session_states_are_accepted():
    SessionFactory()
    SessionFactory(paused=True)
    SessionFactory(completed=True)

    assert sorted(InterviewSession.objects.values_list("status", flat=True)) == ["active", "completed", "paused"]


# Session messages -------------------------------------------------------------------------


def test_invalid_message_type_is_rejected():
    session = SessionFactory()

    assert_rejected(
        lambda: SessionMessage.objects.create(session=session, message_type="comment", content="Hi"),
        SessionMessage,
        constraint="session_messages_type_valid",
    )


def test_invalid_question_type_is_rejected():
    session = SessionFactory()

    assert_rejected(
        lambda: QuestionFactory(session=session, question_type="trivia"),
        SessionMessage,
        constraint="session_messages_question_type_valid",
    )


def test_answer_with_a_question_type_is_rejected():
    session = SessionFactory()

    assert_rejected(
        lambda: SessionMessage.objects.create(
            session=session, message_type="answer", content="An answer", question_type="technical"
        ),
        SessionMessage,
        constraint="session_messages_question_type_valid",
    )


def test_empty_message_content_is_rejected():
    session = SessionFactory()

    assert_rejected(
        lambda: QuestionFactory(session=session, content=""),
        SessionMessage,
        constraint="session_messages_content_not_empty",
    )


# Operations -------------------------------------------------------------------------------


def test_invalid_operation_status_is_rejected():
    session = SessionFactory(completed=True)

    # An unknown status also breaks operations_finished_at_matches_status; either may report it.
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        OperationFactory(user=session.user, session=session, status="running")

    assert "operations_status_valid" in str(excinfo.value) or "operations_finished_at_matches_status" in str(
        excinfo.value
    )
    assert not Operation.objects.exists()


def test_invalid_operation_type_is_rejected():
    # Which types exist is the registry's business (a new type needs no migration); the
    # database still refuses a name that no registration could have.
    session = SessionFactory(completed=True)

    assert_rejected(
        lambda: OperationFactory(user=session.user, session=session, operation_type="Essay grading!"),
        Operation,
        constraint="operations_type_valid",
    )


@pytest.mark.parametrize(
    ("first", "second"),
    [({}, {}), ({}, {"processing": True}), ({"processing": True}, {}), ({"processing": True}, {"processing": True})],
    ids=["pending+pending", "pending+processing", "processing+pending", "processing+processing"],
)
def test_two_unfinished_feedback_operations_for_one_session_are_rejected(first, second):
    session = SessionFactory(completed=True)
    OperationFactory(user=session.user, session=session, **first)

    assert_rejected(
        lambda: OperationFactory(user=session.user, session=session, **second),
        Operation,
        constraint="operations_one_unfinished_per_session",
    )


def test_moving_a_second_operation_back_to_pending_is_rejected():
    session = SessionFactory(completed=True)
    OperationFactory(user=session.user, session=session)
    failed = OperationFactory(user=session.user, session=session, failed=True)

    with pytest.raises(IntegrityError), transaction.atomic():
        Operation.objects.filter(pk=failed.pk).update(
            status="pending", finished_at=None, error_code=None, error_message=None
        )

    failed.refresh_from_db()
    assert failed.status == "failed"


@pytest.mark.parametrize("finished", ["failed", "completed"])
def test_a_finished_and_a_pending_operation_for_one_session_are_allowed(finished):
    session = SessionFactory(completed=True)
    OperationFactory(user=session.user, session=session, **{finished: True})
    OperationFactory(user=session.user, session=session, **{finished: True})

    OperationFactory(user=session.user, session=session)

    assert sorted(Operation.objects.filter(session=session).values_list("status", flat=True)) == sorted(
        [finished, finished, "pending"]
    )


def test_unfinished_operations_of_different_types_or_sessions_are_allowed():
    session = SessionFactory(completed=True)
    other_session = SessionFactory(user=session.user, completed=True)
    OperationFactory(user=session.user, session=session, operation_type="feedback_analysis")
    OperationFactory(user=session.user, session=session, operation_type="question_generation")
    OperationFactory(user=session.user, session=other_session, operation_type="feedback_analysis")

    assert Operation.objects.filter(status="pending").count() == 3


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"status": "completed", "finished_at": None}, "operations_finished_at_matches_status"),
        (
            {"status": "failed", "finished_at": None, "error_code": "AI_UNAVAILABLE"},
            "operations_finished_at_matches_status",
        ),
        ({"status": "pending", "finished_at": "now"}, "operations_finished_at_matches_status"),
        ({"status": "processing", "finished_at": "now"}, "operations_finished_at_matches_status"),
        ({"status": "failed", "finished_at": "now", "error_code": None}, "operations_error_code_iff_failed"),
        (
            {"status": "completed", "finished_at": "now", "error_code": "AI_UNAVAILABLE"},
            "operations_error_code_iff_failed",
        ),
        ({"status": "pending", "error_code": "AI_UNAVAILABLE"}, "operations_error_code_iff_failed"),
        ({"status": "processing", "error_code": "AI_UNAVAILABLE"}, "operations_error_code_iff_failed"),
    ],
    ids=[
        "completed-without-finished_at",
        "failed-without-finished_at",
        "pending-with-finished_at",
        "processing-with-finished_at",
        "failed-without-error_code",
        "completed-with-error_code",
        "pending-with-error_code",
        "processing-with-error_code",
    ],
)
def test_operation_finished_at_and_error_code_follow_the_status(fields, constraint):
    session = SessionFactory(completed=True)
    if fields.get("finished_at") == "now":
        fields = {**fields, "finished_at": timezone.now()}

    assert_rejected(
        lambda: Operation.objects.create(
            user=session.user, session=session, operation_type="feedback_analysis", **fields
        ),
        Operation,
        constraint=constraint,
    )


def test_a_finished_operation_cannot_lose_its_finish_time():
    operation = OperationFactory(completed=True)

    with pytest.raises(IntegrityError), transaction.atomic():
        Operation.objects.filter(pk=operation.pk).update(finished_at=None)

    operation.refresh_from_db()
    assert operation.finished_at is not None


def test_valid_operation_states_are_accepted():
    for traits in ({}, {"processing": True}, {"completed": True}, {"failed": True}):
        OperationFactory(**traits)

    assert sorted(Operation.objects.values_list("status", flat=True)) == [
        "completed",
        "failed",
        "pending",
        "processing",
    ]


# Feedback ---------------------------------------------------------------------------------


def test_second_feedback_for_one_session_is_rejected():
    session = SessionFactory(completed=True)
    first = feedback_for(session)

    assert_rejected(lambda: feedback_for(session, overall_score=10), InterviewFeedback)
    assert list(InterviewFeedback.objects.all()) == [first]


@pytest.mark.parametrize("field", SCORES)
@pytest.mark.parametrize("score", [101, -1])
def test_feedback_score_outside_0_to_100_is_rejected(field, score):
    session = SessionFactory(completed=True)

    assert_rejected(lambda: feedback_for(session, **{field: score}), InterviewFeedback)


@pytest.mark.parametrize("score", [0, 100])
def test_feedback_scores_at_the_bounds_are_accepted(score):
    session = SessionFactory(completed=True)

    feedback_for(session, **dict.fromkeys(SCORES, score))

    assert InterviewFeedback.objects.get().overall_score == score


def test_feedback_survives_the_deletion_of_its_operation():
    operation = OperationFactory(completed=True)
    feedback = feedback_for(operation.session, operation=operation)

    operation.delete()

    feedback.refresh_from_db()
    assert feedback.operation_id is None


def test_deleting_a_session_deletes_its_messages_operations_and_feedback():
    operation = OperationFactory(completed=True, created_at=timezone.now() - timedelta(minutes=1))
    session = operation.session
    QuestionFactory(session=session)
    feedback_for(session, operation=operation)

    session.delete()

    assert not SessionMessage.objects.exists()
    assert not Operation.objects.exists()
    assert not InterviewFeedback.objects.exists()
