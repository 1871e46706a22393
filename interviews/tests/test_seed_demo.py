"""manage.py seed_demo: the demo user's data, created once, found on later runs."""

import io

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from interviews.models import InterviewSession
from tests.factories import db_state

pytestmark = pytest.mark.django_db


def test_creates_a_completed_and_an_active_session_once():
    out = io.StringIO()
    call_command("seed_demo", "--force", stdout=out)

    user = User.objects.get(email="demo@example.com")
    assert user.check_password("demo-password-123")
    completed = InterviewSession.objects.get(user=user, status="completed")
    assert completed.messages.count() == 6
    active = InterviewSession.objects.get(user=user, status="active")
    assert active.messages.count() == 0  # ready for POST .../generate-question
    assert str(active.id) in out.getvalue() and "curl -s -X POST" in out.getvalue()

    before = db_state()
    call_command("seed_demo", "--force", stdout=io.StringIO())
    assert db_state() == before


def test_refuses_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", stdout=io.StringIO())
    assert not User.objects.exists()
