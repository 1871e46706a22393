"""The rows the benchmark works on: seeded users (with access tokens) and completed sessions.

Every POST needs a fresh completed session (the feedback of one is asked for once): `take_sessions`
hands them out in order and warns when they run out. Sessions and users are (session id, user
number) / user ids; a user's number indexes `user_ids` and `tokens`.
"""

from __future__ import annotations

import time

from bench.util import log


class Data:
    def __init__(self, user_ids: list[str], sessions: list[tuple[str, int]], tokens: list[str]) -> None:
        self.user_ids = user_ids
        self.user_index = {uid: i for i, uid in enumerate(user_ids)}
        self.sessions = sessions
        self.tokens = tokens
        self.session_cursor = 0

    @classmethod
    def seed(cls, db_url: str, users: int, sessions: int) -> Data:
        """With SQL: `users` users with a job posting and a résumé each, `sessions` completed sessions
        (a question and an answer each) spread over them; then each user's access token, signed
        in this process (Django set up) with the servers' secret key."""
        import psycopg

        log(f"seeding {users} users, {sessions} completed sessions with a question and an answer each")
        t0 = time.monotonic()
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute(
                """
                INSERT INTO users (id, password, is_superuser, email, is_active, is_staff, created_at, token_version)
                SELECT gen_random_uuid(), '!bench', false, 'bench-' || i || '@example.com', true, false, now(), 0
                FROM generate_series(0, %s - 1) i
                """,
                [users],
            )
            conn.execute(
                """
                CREATE TEMP TABLE bench_users AS
                SELECT id, (substring(email FROM 'bench-([0-9]+)@'))::int AS n FROM users
                """
            )
            conn.execute(
                """
                INSERT INTO job_postings (id, user_id, title, company, description, experience_level,
                                          tech_stack, created_at, updated_at)
                SELECT gen_random_uuid(), id, 'Backend engineer', 'Bench Inc',
                       'Build and run reliable HTTP APIs on PostgreSQL and Redis.', 'senior',
                       '["Python", "Django", "PostgreSQL"]'::jsonb, now(), now()
                FROM bench_users
                """
            )
            conn.execute(
                """
                INSERT INTO resumes (id, user_id, content, created_at, updated_at)
                SELECT gen_random_uuid(), id, 'Ten years of Python back ends; payments, queues, on-call.', now(), now()
                FROM bench_users
                """
            )
            conn.execute(
                """
                INSERT INTO interview_sessions (id, user_id, job_posting_id, status, current_question_number,
                                                created_at, updated_at, completed_at)
                SELECT gen_random_uuid(), u.id, j.id, 'completed', 1, t, t, t
                FROM generate_series(0, %s - 1) s
                JOIN bench_users u ON u.n = s %% %s
                JOIN job_postings j ON j.user_id = u.id
                CROSS JOIN LATERAL (SELECT now() - interval '1 day' + s * interval '1 microsecond' AS t) ts
                """,
                [sessions, users],
            )
            conn.execute(
                """
                INSERT INTO session_messages (id, session_id, message_type, content, question_type, is_open,
                                              created_at)
                SELECT gen_random_uuid(), id, 'question', 'How do you make a POST endpoint idempotent?',
                       'technical', false, created_at
                FROM interview_sessions
                """
            )
            conn.execute(
                """
                INSERT INTO session_messages (id, session_id, message_type, content, question_type, is_open,
                                              created_at)
                SELECT gen_random_uuid(), id, 'answer',
                       'With an idempotency key stored under a unique constraint, checked in the same '
                       || 'transaction as the write. [bench:' || id || ']', NULL, false,
                       created_at + interval '1 second'
                FROM interview_sessions
                """
            )
            conn.execute("ANALYZE")
            rows = conn.execute("SELECT id::text, n FROM bench_users ORDER BY n").fetchall()
            user_ids = [r[0] for r in rows]
            user_index = {uid: i for i, uid in enumerate(user_ids)}
            seeded = [
                (r[0], user_index[r[1]])
                for r in conn.execute("SELECT id::text, user_id::text FROM interview_sessions ORDER BY created_at")
            ]
        from rest_framework_simplejwt.tokens import AccessToken

        from accounts.models import User

        by_id = {str(u.id): u for u in User.objects.filter(email__startswith="bench-")}
        tokens = [str(AccessToken.for_user(by_id[uid])) for uid in user_ids]
        log(f"seeded in {time.monotonic() - t0:.1f}s")
        return cls(user_ids, seeded, tokens)

    def take_sessions(self, count: int) -> list[tuple[str, int]]:
        chunk = self.sessions[self.session_cursor : self.session_cursor + count]
        self.session_cursor += len(chunk)
        if len(chunk) < count:
            log(f"WARNING: only {len(chunk)} fresh sessions left of {count} wanted")
        return chunk

    def pending_operations(self, limit: int) -> list[tuple[str, int]]:
        """Pending operations (id, owner's number): those the raw POST loops inserted are real rows."""
        from operations.models import Operation

        rows = Operation.objects.filter(status="pending").values_list("id", "user_id")[:limit]
        return [(str(op), self.user_index[str(user)]) for op, user in rows]

    def create_pending(self, sessions) -> list[str]:
        """Pending feedback operations for these sessions, as the POST creates them (no publish)."""
        from django.utils import timezone

        from operations.models import Operation

        now = timezone.now()
        ops = [
            Operation(
                user_id=self.user_ids[user],
                session_id=sid,
                operation_type="feedback_analysis",
                created_at=now,
                dispatched_at=now,
            )
            for sid, user in sessions
        ]
        Operation.objects.bulk_create(ops, batch_size=1000)
        return [str(op.id) for op in ops]


def wait_finished(ops: list[str], deadline: float) -> None:
    """Until none of these operations is pending or processing (a warning at the deadline)."""
    from operations.models import Operation

    while time.monotonic() < deadline:
        left = Operation.objects.filter(pk__in=ops, status__in=["pending", "processing"]).count()
        if not left:
            return
        time.sleep(0.25)
    log("WARNING: operations still unfinished at the deadline")
