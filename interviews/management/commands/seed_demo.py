"""Demo data for local runs: a user, a job posting, a résumé, one completed practice session and
one active session, ready for AI-generated questions.

Idempotent: a second run finds what the first one created and changes nothing but the demo
user's password (reset to the configured one, so the printed credentials always work).
Refuses to run with DEBUG off unless --force is given.
"""

from __future__ import annotations

import json
import os
import shlex

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import User
from common.emails import normalize_email
from interviews import services
from interviews.models import InterviewSession, JobPosting, Resume

DEMO_EMAIL = "demo@example.com"
DEFAULT_DEMO_PASSWORD = "demo-password-123"

JOB_POSTING = {
    "title": "Backend Engineer (Python)",
    "company": "Demo Analytics",
    "description": (
        "Build and run the Django REST APIs behind our analytics product. You will design "
        "PostgreSQL schemas, write Celery jobs that call external services, and keep them "
        "reliable under load."
    ),
    "experience_level": "mid",
    "tech_stack": ["Python", "Django", "PostgreSQL", "Celery", "Redis"],
}

RESUME = (
    "Five years of Python. Built and operated a Django REST API for a logistics company "
    "(PostgreSQL, Celery, Redis), cut p95 latency from 900 ms to 180 ms by fixing N+1 "
    "queries and adding indexes. Before that, two years of data engineering with Airflow."
)

QUESTIONS_AND_ANSWERS = [
    (
        "technical",
        "How would you find and fix a slow Django endpoint?",
        "I'd look at the query count first with the debug toolbar or logging, fix N+1 queries "
        "with select_related and prefetch_related, then check EXPLAIN ANALYZE for missing indexes.",
    ),
    (
        "technical",
        "A Celery task calls a slow external API. What can go wrong, and how do you guard against it?",
        "It can hang, fail or run twice. I set explicit timeouts, retry transient errors with "
        "backoff, and make the task idempotent so a redelivery does no harm.",
    ),
    (
        "behavioral",
        "Tell me about a production incident you handled.",
        "A migration locked a big table during peak hours. I rolled it back, then split it into "
        "an additive migration and a backfill in batches, and we added a review checklist.",
    ),
]


class Command(BaseCommand):
    help = (
        "Create (or find) the demo user, a job posting, a résumé, one completed practice session and one "
        "active session ready for generated questions."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even though DEBUG is off (never do this on a real deployment).",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_demo creates a user with a known password; it only runs with DEBUG on (or --force)."
            )
        password = os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD

        with transaction.atomic():
            user, user_created = self._user(password)
            job_posting = self._job_posting(user)
            self._resume(user)
            session, session_created = self._session(user, job_posting)
            active, active_created = self._active_session(user, job_posting)

        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data {'created' if user_created or session_created or active_created else 'already present'}: "
                f"user {user.email}, job posting {job_posting.id}, completed session {session.id}, "
                f"active session {active.id}"
            )
        )
        base_url = f"http://127.0.0.1:{os.environ.get('PORT') or 8000}"
        body = shlex.quote(json.dumps({"email": user.email, "password": password}))
        self.stdout.write(f"  email:    {user.email}\n  password: {password}\n")
        self.stdout.write("Log in (the answer carries an access_token):")
        self.stdout.write(
            f"  curl -s -X POST {base_url}/api/v1/auth/login -H 'Content-Type: application/json' -d {body}"
        )

    def _user(self, password: str) -> tuple[User, bool]:
        user = User.objects.filter(email__iexact=DEMO_EMAIL).first()
        try:
            validate_password(password, user=user or User(email=normalize_email(DEMO_EMAIL)))
        except ValidationError as exc:
            raise CommandError(f"DEMO_PASSWORD is not acceptable: {' '.join(exc.messages)}") from None
        if user is None:
            return User.objects.create_user(email=DEMO_EMAIL, password=password), True
        if not user.check_password(password) or not user.is_active:
            user.set_password(password)
            user.is_active = True
            user.save(update_fields=["password", "is_active"])
        return user, False

    def _job_posting(self, user: User) -> JobPosting:
        existing = JobPosting.objects.filter(user=user, title=JOB_POSTING["title"]).order_by("created_at").first()
        return existing or services.job_posting_create(user=user, data=JOB_POSTING)

    def _resume(self, user: User) -> Resume:
        existing = Resume.objects.filter(user=user).first()
        return existing or services.resume_create(user=user, content=RESUME)

    def _session(self, user: User, job_posting: JobPosting) -> tuple[InterviewSession, bool]:
        existing = (
            InterviewSession.objects.filter(
                user=user, job_posting=job_posting, status=InterviewSession.Status.COMPLETED
            )
            .order_by("created_at")
            .first()
        )
        if existing is not None:
            return existing, False
        session = services.session_start(user=user, job_posting_id=job_posting.id)
        for question_type, question, answer in QUESTIONS_AND_ANSWERS:
            services.session_ask_question(session=session, content=question, question_type=question_type)
            services.session_answer(session=session, answer_text=answer)
        return services.session_complete(session=session), True

    def _active_session(self, user: User, job_posting: JobPosting) -> tuple[InterviewSession, bool]:
        """An active session with no question yet: POST .../generate-question asks the first one."""
        existing = (
            InterviewSession.objects.filter(user=user, job_posting=job_posting, status=InterviewSession.Status.ACTIVE)
            .order_by("created_at")
            .first()
        )
        if existing is not None:
            return existing, False
        return services.session_start(user=user, job_posting_id=job_posting.id), True
