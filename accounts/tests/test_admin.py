"""Users in Django admin: never any part of the password hash."""

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.urls import reverse

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_change_page_shows_no_part_of_the_password_hash(admin_client):
    user = UserFactory()
    hasher = identify_hasher(user.password)
    _, *parts = user.password.split("$")
    # What Django's default password widget would print: salt and hash, masked ("abc123****").
    masked = [value for key, value in hasher.safe_summary(user.password).items() if key in ("salt", "hash")]

    response = admin_client.get(reverse("admin:accounts_user_change", args=[user.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert user.password not in content
    assert len(masked) == 2
    for text in (*parts, *masked):
        assert text not in content
    assert f"Set ({hasher.algorithm})." in content
    assert 'href="../password/"' in content


def test_change_page_of_a_user_without_a_usable_password(admin_client):
    user = UserFactory()
    user.set_unusable_password()
    user.save()

    response = admin_client.get(reverse("admin:accounts_user_change", args=[user.pk]))

    assert response.status_code == 200
    assert "No usable password." in response.content.decode()


def test_saving_a_user_keeps_the_password(admin_client):
    user = UserFactory()
    password_hash = user.password

    response = admin_client.post(
        reverse("admin:accounts_user_change", args=[user.pk]),
        {"email": user.email, "is_active": "on", "is_staff": "on"},
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_staff is True
    assert user.password == password_hash


def test_changelist_searches_email(admin_client):
    wanted = UserFactory(email="someone@example.com")

    response = admin_client.get(reverse("admin:accounts_user_changelist"), {"q": "someone@"})

    assert response.status_code == 200
    assert [u.pk for u in response.context["cl"].result_list] == [wanted.pk]
    assert User.objects.count() == 2


def test_non_staff_user_is_sent_to_the_admin_login(client):
    user = UserFactory()
    client.force_login(user)

    response = client.get(reverse("admin:accounts_user_change", args=[user.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
