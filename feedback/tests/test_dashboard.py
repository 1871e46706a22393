"""GET /users/me/dashboard: every figure against a hand-built history where each one is known."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import auth_client
from tests.factories import (
    AnswerFactory,
    FeedbackFactory,
    JobPostingFactory,
    QuestionFactory,
    SessionFactory,
    UserFactory,
    iso,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/users/me/dashboard"
T0 = timezone.now() - timedelta(days=30)


def session(user, posting, *, day: int, answers: int = 1, scores=None, completed=True):
    s = SessionFactory.create(user=user, job_posting=posting, completed=completed)
    if completed:
        s.completed_at = T0 + timedelta(days=day)
        s.save(update_fields=["completed_at"])
    for _ in range(answers):
        QuestionFactory(session=s)
        AnswerFactory(session=s)
    if scores is not None:
        t, c, p, r = scores
        overall = (2 * (t + c + p + r) + 4) // 8  # half up, as the service computes it
        FeedbackFactory(
            session=s,
            technical_accuracy_score=t,
            communication_clarity_score=c,
            problem_solving_score=p,
            relevance_score=r,
            overall_score=overall,
        )
    return s


def test_every_figure_of_a_known_history():
    user = UserFactory()
    backend = JobPostingFactory(user=user, title="Backend Engineer")
    data = JobPostingFactory(user=user, title="Data Engineer")
    s1 = session(user, backend, day=1, answers=2, scores=(80, 85, 80, 85))  # overall 82.5 -> 83
    s2 = session(user, backend, day=2, answers=3, scores=(60, 61, 62, 64))  # 61.75 -> 62
    s3 = session(user, data, day=3, answers=1, scores=(90, 90, 90, 91))  # 90.25 -> 90
    session(user, backend, day=4, answers=2)  # completed, no feedback yet
    session(user, data, day=5, answers=1, completed=False)  # active: answers count, completion not
    session(UserFactory(), backend, day=6, answers=5, scores=(1, 1, 1, 1))  # someone else's

    body = auth_client(user).get(URL).json()

    assert body == {
        "completed_sessions": 4,
        "questions_answered": 9,
        # (83 + 62 + 90) / 3 = 78.333 -> 78.3
        "average_overall_score": 78.3,
        "best_overall_score": 90,
        "dimension_averages": {
            "technical_accuracy": 76.7,  # 230 / 3 = 76.666
            "communication_clarity": 78.7,  # 236 / 3 = 78.666
            "problem_solving": 77.3,  # 232 / 3 = 77.333
            "relevance": 80.0,  # 240 / 3
        },
        "score_trend": [
            {
                "session_id": str(s.id),
                "job_posting_title": title,
                "completed_at": iso(s.completed_at),
                "overall_score": o,
            }
            for s, title, o in ((s1, "Backend Engineer", 83), (s2, "Backend Engineer", 62), (s3, "Data Engineer", 90))
        ],
        "top_roles": [{"title": "Backend Engineer", "sessions": 3}, {"title": "Data Engineer", "sessions": 1}],
    }


def test_averages_round_half_up():
    user = UserFactory()
    posting = JobPostingFactory(user=user)
    session(user, posting, day=1, scores=(80, 80, 80, 80))
    session(user, posting, day=2, scores=(81, 81, 81, 81))
    session(user, posting, day=3, scores=(81, 81, 81, 81))
    session(user, posting, day=4, scores=(81, 81, 81, 81))  # 80.75 -> 80.8, never 80.7

    body = auth_client(user).get(URL).json()

    assert body["average_overall_score"] == 80.8
    assert body["dimension_averages"]["relevance"] == 80.8


def test_a_user_without_feedback_gets_zeros_and_nulls():
    user = UserFactory()
    session(user, JobPostingFactory(user=user), day=1, answers=2)

    body = auth_client(user).get(URL).json()

    assert body == {
        "completed_sessions": 1,
        "questions_answered": 2,
        "average_overall_score": None,
        "best_overall_score": None,
        "dimension_averages": dict.fromkeys(
            ["technical_accuracy", "communication_clarity", "problem_solving", "relevance"]
        ),
        "score_trend": [],
        "top_roles": [{"title": "Senior Python Developer", "sessions": 1}],
    }


def test_a_new_user_has_an_empty_dashboard():
    body = auth_client(UserFactory()).get(URL).json()
    assert (body["completed_sessions"], body["questions_answered"], body["score_trend"], body["top_roles"]) == (
        0,
        0,
        [],
        [],
    )


def test_the_trend_is_the_last_twenty_scored_oldest_first_and_roles_the_top_five():
    user = UserFactory()
    postings = [JobPostingFactory(user=user, title=f"Role {n}") for n in range(7)]
    scored = [session(user, postings[n % 7], day=n, scores=(n, n, n, n)) for n in range(25)]

    body = auth_client(user).get(URL).json()

    assert [p["session_id"] for p in body["score_trend"]] == [str(s.id) for s in scored[5:]]
    assert [p["overall_score"] for p in body["score_trend"]] == list(range(5, 25))
    # 25 sessions over 7 roles: roles 0-3 have 4 each, 4-6 have 3; ties by title.
    assert body["top_roles"] == [
        {"title": "Role 0", "sessions": 4},
        {"title": "Role 1", "sessions": 4},
        {"title": "Role 2", "sessions": 4},
        {"title": "Role 3", "sessions": 4},
        {"title": "Role 4", "sessions": 3},
    ]


def test_five_queries_whatever_the_history(django_assert_num_queries):
    user = UserFactory()
    posting = JobPostingFactory(user=user)
    for day in range(30):
        session(user, posting, day=day, answers=2, scores=(70, 70, 70, 70))
    client = auth_client(user)
    with django_assert_num_queries(6):  # the user (authentication) + completed, answered, scores, trend, roles
        assert client.get(URL).status_code == 200


def test_unauthenticated_is_401(api_client):
    assert api_client.get(URL).status_code == 401
