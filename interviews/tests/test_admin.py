"""Sessions (with their messages inline), job postings and résumés in Django admin: read-only views."""

import pytest
from django.urls import reverse

from tests.factories import (
    FeedbackFactory,
    JobPostingFactory,
    ResumeFactory,
    UserFactory,
    completed_session_with_answers,
    db_state,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_session_change_page_shows_messages_inline_in_order_and_links(admin_client):
    session = completed_session_with_answers(pairs=2)
    feedback = FeedbackFactory(session=session)
    first, *_, last = session.messages.order_by("created_at", "id")

    response = admin_client.get(reverse("admin:interviews_interviewsession_change", args=[session.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert content.count("field-content") >= 4  # every message, in the inline
    assert content.index(first.content) < content.rindex(last.content)
    assert reverse("admin:feedback_interviewfeedback_change", args=[feedback.pk]) in content
    assert f"{reverse('admin:operations_operation_changelist')}?q={session.pk}" in content
    assert 'name="_save"' not in content


def test_session_changelist_filters_and_searches(admin_client):
    wanted = completed_session_with_answers(user=UserFactory(email="wanted@example.com"))
    completed_session_with_answers()
    url = reverse("admin:interviews_interviewsession_changelist")

    by_status = admin_client.get(url, {"status__exact": "completed"})
    by_email = admin_client.get(url, {"q": "wanted@"})
    by_id = admin_client.get(url, {"q": str(wanted.pk)})
    by_junk = admin_client.get(url, {"q": "not-a-uuid"})

    assert by_status.status_code == 200 and len(by_status.context["cl"].result_list) == 2
    assert [s.pk for s in by_email.context["cl"].result_list] == [wanted.pk]
    assert [s.pk for s in by_id.context["cl"].result_list] == [wanted.pk]
    assert list(by_junk.context["cl"].result_list) == []


def test_job_posting_pages(admin_client):
    posting = JobPostingFactory()
    JobPostingFactory()

    listing = admin_client.get(reverse("admin:interviews_jobposting_changelist"), {"q": posting.user.email})
    detail = admin_client.get(reverse("admin:interviews_jobposting_change", args=[posting.pk]))

    assert listing.status_code == 200
    assert [p.pk for p in listing.context["cl"].result_list] == [posting.pk]
    assert detail.status_code == 200
    assert posting.description in detail.content.decode()


def test_resume_pages(admin_client):
    resume = ResumeFactory()
    ResumeFactory()

    listing = admin_client.get(reverse("admin:interviews_resume_changelist"), {"q": resume.user.email})
    detail = admin_client.get(reverse("admin:interviews_resume_change", args=[resume.pk]))

    assert listing.status_code == 200
    assert [r.pk for r in listing.context["cl"].result_list] == [resume.pk]
    assert resume.content not in listing.content.decode()  # the list shows the length only
    assert f'<td class="field-length">{len(resume.content)}</td>' in listing.content.decode()
    assert detail.status_code == 200
    assert resume.content in detail.content.decode()


def test_nothing_can_be_added_changed_or_deleted(admin_client):
    session = completed_session_with_answers()
    before = db_state()

    responses = [
        admin_client.get(reverse("admin:interviews_interviewsession_add")),
        admin_client.post(reverse("admin:interviews_interviewsession_change", args=[session.pk]), {"status": "active"}),
        admin_client.post(reverse("admin:interviews_interviewsession_delete", args=[session.pk]), {"post": "yes"}),
    ]

    assert [r.status_code for r in responses] == [403, 403, 403]
    assert db_state() == before


def test_non_staff_user_is_sent_to_the_admin_login(client):
    session = completed_session_with_answers()
    client.force_login(session.user)

    response = client.get(reverse("admin:interviews_interviewsession_change", args=[session.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_sessions_show_their_attempt_and_chain_and_users_what_they_own(admin_client):
    from tests.factories import FeedbackFactory, SessionFactory, completed_session_with_answers

    first = completed_session_with_answers()
    FeedbackFactory(session=first)
    retake = SessionFactory(user=first.user, job_posting=first.job_posting, retake_of=first, attempt_number=2)

    page = admin_client.get(f"/admin/interviews/interviewsession/{retake.pk}/change/").content.decode()
    chain = admin_client.get(f"/admin/interviews/interviewsession/?q={first.pk}").content.decode()
    user_page = admin_client.get(f"/admin/accounts/user/{first.user.pk}/change/").content.decode()

    assert "every attempt of this chain" in page and f"?q={first.pk}" in page
    assert str(retake.pk)[:8] in chain and str(first.pk)[:8] in chain
    assert "1 job postings, 2 sessions, 1 feedback, 0 operations, 0 résumé" in user_page
