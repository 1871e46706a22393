"""The rows the benchmark works on: seeded users (with access tokens), their sessions, and a few
users with a long history for the dashboard.

Every POST needs a fresh session: generate-feedback a completed one (the feedback of one is asked
for once), generate-question an active one (a session has one open operation at most, and at most
SESSION_MAX_QUESTIONS questions). `take_sessions` hands each kind out in order and warns when they
run out. Sessions and users are (session id, user number) / user ids; a user's number indexes
`user_ids` and `tokens`; `dashboard_users` are the numbers of the users with a long history.
"""

from __future__ import annotations

import time

from bench.util import log

# The dashboard users' roles: a few postings each, so the top roles have something to rank.
ROLES = [
    "Backend engineer",
    "Data engineer",
    "Platform engineer",
    "Site reliability engineer",
    "Staff engineer",
    "Engineering manager",
    "Frontend engineer",
    "Security engineer",
]


class Data:
    def __init__(
        self,
        user_ids: list[str],
        sessions: dict[str, list[tuple[str, int]]],
        tokens: list[str],
        dashboard_users: list[int],
    ) -> None:
        self.user_ids = user_ids
        self.user_index = {uid: i for i, uid in enumerate(user_ids)}
        self.sessions = sessions  # by kind: "feedback" (completed), "question" (active)
        self.cursors = dict.fromkeys(sessions, 0)
        self.tokens = tokens
        self.dashboard_users = dashboard_users

    @classmethod
    def seed(
        cls,
        db_url: str,
        *,
        users: int,
        sessions: int,
        question_sessions: int,
        dashboard_users: int,
        dashboard_sessions: int,
    ) -> Data:
        """With SQL: `users` users with a job posting and a résumé each, `sessions` completed and
        `question_sessions` active sessions (a question and an answer each) spread over them, and
        `dashboard_users` users with `dashboard_sessions` sessions each; then each user's access
        token, signed in this process (Django set up) with the servers' secret key."""
        import psycopg

        log(
            f"seeding {users} users with {sessions} completed and {question_sessions} active sessions (a question "
            f"and an answer each); {dashboard_users} users with {dashboard_sessions} sessions each"
        )
        t0 = time.monotonic()
        with psycopg.connect(db_url, autocommit=True) as conn:
            _seed_users(conn, users)
            _seed_sessions(conn, users, "completed", sessions)
            _seed_sessions(conn, users, "active", question_sessions)
            _seed_dashboard(conn, dashboard_users, dashboard_sessions)
            conn.execute("ANALYZE")
            rows = conn.execute("SELECT id::text, n FROM bench_users ORDER BY n").fetchall()
            rows += conn.execute("SELECT id::text, n FROM dashboard_users ORDER BY n").fetchall()
            user_ids = [r[0] for r in rows]
            user_index = {uid: i for i, uid in enumerate(user_ids)}
            seeded = {
                kind: [
                    (r[0], user_index[r[1]])
                    for r in conn.execute(
                        """
                        SELECT s.id::text, s.user_id::text FROM interview_sessions s
                        JOIN bench_users u ON u.id = s.user_id WHERE s.status = %s ORDER BY s.created_at
                        """,
                        [status],
                    )
                ]
                for kind, status in (("feedback", "completed"), ("question", "active"))
            }
        from rest_framework_simplejwt.tokens import AccessToken

        from accounts.models import User

        by_id = {str(u.id): u for u in User.objects.filter(pk__in=user_ids)}
        tokens = [str(AccessToken.for_user(by_id[uid])) for uid in user_ids]
        log(f"seeded in {time.monotonic() - t0:.1f}s")
        return cls(user_ids, seeded, tokens, dashboard_users=list(range(users, len(user_ids))))

    def take_sessions(self, count: int, kind: str = "feedback") -> list[tuple[str, int]]:
        start = self.cursors[kind]
        chunk = self.sessions[kind][start : start + count]
        self.cursors[kind] += len(chunk)
        if len(chunk) < count:
            log(f"WARNING: only {len(chunk)} fresh {kind} sessions left of {count} wanted")
        return chunk

    def take_pair(self, kind: str = "feedback") -> list[tuple[str, int]]:
        """Two fresh sessions of one user: a request, then the same user's next one (cached user)."""
        first = self.take_sessions(1, kind)[0]
        sessions = self.sessions[kind]
        later = next(i for i in range(self.cursors[kind], len(sessions)) if sessions[i][1] == first[1])
        return [first, sessions.pop(later)]

    def dashboard_items(self) -> list[tuple[str, int]]:
        """The dashboard users as request items (user id, user number): each reads their own."""
        return [(self.user_ids[u], u) for u in self.dashboard_users]

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


def _insert_users(conn, prefix: str, users: int) -> None:
    """`users` users {prefix}-N@example.com, numbered by the temporary table {prefix}_users (id, n)."""
    from psycopg import sql

    conn.execute(
        """
        INSERT INTO users (id, password, is_superuser, email, is_active, is_staff, created_at, token_version)
        SELECT gen_random_uuid(), '!bench', false, %s || '-' || i || '@example.com', true, false, now(), 0
        FROM generate_series(0, %s - 1) i
        """,
        [prefix, users],
    )
    conn.execute(
        sql.SQL(
            """
            CREATE TEMP TABLE {table} AS
            SELECT id, (substring(email FROM {pattern}))::int AS n FROM users WHERE email LIKE {like}
            """
        ).format(
            table=sql.Identifier(f"{prefix}_users"),
            pattern=sql.Literal(f"^{prefix}-([0-9]+)@"),
            like=sql.Literal(f"{prefix}-%"),
        )
    )


def _seed_users(conn, users: int) -> None:
    """`users` users (bench-N@example.com; the temporary table bench_users numbers them) with a job
    posting and a résumé each."""
    _insert_users(conn, "bench", users)
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


def _seed_sessions(conn, users: int, status: str, count: int) -> None:
    """`count` sessions in `status` (completed: for generate-feedback; active: for generate-question)
    spread over the bench users, each with an answered question (the answer marks its session
    for the fake model's clock)."""
    conn.execute(
        """
        INSERT INTO interview_sessions (id, user_id, job_posting_id, status, current_question_number,
                                        created_at, updated_at, completed_at)
        SELECT gen_random_uuid(), u.id, j.id, %(status)s::text, 1, t, t,
               CASE WHEN %(status)s::text = 'completed' THEN t END
        FROM generate_series(0, %(count)s - 1) s
        JOIN bench_users u ON u.n = s %% %(users)s
        JOIN job_postings j ON j.user_id = u.id
        CROSS JOIN LATERAL (SELECT now() - interval '1 day' + s * interval '1 microsecond' AS t) ts
        """,
        {"status": status, "count": count, "users": users},
    )
    conn.execute(
        """
        CREATE TEMP TABLE new_sessions AS
        SELECT s.id, s.created_at FROM interview_sessions s JOIN bench_users u ON u.id = s.user_id
        WHERE s.status = %s
        """,
        [status],
    )
    conn.execute(
        """
        INSERT INTO session_messages (id, session_id, message_type, content, question_type, is_open, created_at)
        SELECT gen_random_uuid(), id, 'question', 'How do you make a POST endpoint idempotent?', 'technical',
               false, created_at
        FROM new_sessions
        """
    )
    conn.execute(
        """
        INSERT INTO session_messages (id, session_id, message_type, content, question_type, is_open, created_at)
        SELECT gen_random_uuid(), id, 'answer',
               'With an idempotency key stored under a unique constraint, checked in the same '
               || 'transaction as the write. [bench:' || id || ']', NULL, false, created_at + interval '1 second'
        FROM new_sessions
        """
    )
    conn.execute("DROP TABLE new_sessions")


def _seed_dashboard(conn, users: int, sessions: int) -> None:
    """`users` users (dashboard-N@example.com, the temporary table dashboard_users) with a long
    history each: `sessions` sessions over about a year across a few roles, 1 in 20 still active,
    10 messages each (5 answered questions), feedback on 9 in 10 completed ones."""
    _insert_users(conn, "dashboard", users)
    conn.execute(
        """
        CREATE TEMP TABLE dashboard_postings AS
        SELECT gen_random_uuid() AS id, u.id AS user_id, r.title, r.k - 1 AS k
        FROM dashboard_users u CROSS JOIN unnest(%s::text[]) WITH ORDINALITY AS r(title, k)
        """,
        [ROLES],
    )
    conn.execute(
        """
        INSERT INTO job_postings (id, user_id, title, company, description, experience_level,
                                  tech_stack, created_at, updated_at)
        SELECT id, user_id, title, 'Bench Inc', 'Build and run reliable systems.', 'senior',
               '["Python", "PostgreSQL"]'::jsonb, now(), now()
        FROM dashboard_postings
        """
    )
    conn.execute(
        """
        INSERT INTO interview_sessions (id, user_id, job_posting_id, status, current_question_number,
                                        created_at, updated_at, completed_at)
        SELECT gen_random_uuid(), u.id, p.id, CASE WHEN s %% 20 = 19 THEN 'active' ELSE 'completed' END, 5, t, t,
               CASE WHEN s %% 20 = 19 THEN NULL ELSE t + interval '40 minutes' END
        FROM dashboard_users u
        CROSS JOIN generate_series(0, %(sessions)s - 1) s
        JOIN dashboard_postings p ON p.user_id = u.id AND p.k = (s %% 13) %% %(roles)s
        CROSS JOIN LATERAL (SELECT now() - interval '1 year' + s * interval '4 hours' AS t) ts
        """,
        {"sessions": sessions, "roles": len(ROLES)},
    )
    conn.execute(
        """
        INSERT INTO session_messages (id, session_id, message_type, content, question_type, is_open, created_at)
        SELECT gen_random_uuid(), s.id, CASE WHEN m % 2 = 0 THEN 'question' ELSE 'answer' END,
               CASE WHEN m % 2 = 0 THEN 'How would you shard this table?'
                    ELSE 'By tenant, with a routing table and online moves.' END,
               CASE WHEN m % 2 = 0 THEN 'technical' END, false, s.created_at + m * interval '1 minute'
        FROM interview_sessions s JOIN dashboard_users u ON u.id = s.user_id
        CROSS JOIN generate_series(0, 9) m
        """
    )
    conn.execute(
        """
        INSERT INTO interview_feedback (id, session_id, technical_accuracy_score, communication_clarity_score,
                                        problem_solving_score, relevance_score, overall_score, technical_feedback,
                                        communication_feedback, problem_solving_feedback, relevance_feedback,
                                        overall_comments, knowledge_gaps, learning_recommendations,
                                        created_at, updated_at)
        SELECT gen_random_uuid(), id, a, b, c, d, (a + b + c + d) / 4, 'Accurate.', 'Clear.', 'Structured.',
               'On topic.', 'A solid interview.', '["sharding"]'::jsonb, '["Data-Intensive Applications"]'::jsonb,
               completed_at, completed_at
        FROM (
            SELECT s.id, s.completed_at, 40 + abs(hashtext(s.id::text || 'a')) % 56 AS a,
                   40 + abs(hashtext(s.id::text || 'b')) % 56 AS b, 40 + abs(hashtext(s.id::text || 'c')) % 56 AS c,
                   40 + abs(hashtext(s.id::text || 'd')) % 56 AS d
            FROM interview_sessions s JOIN dashboard_users u ON u.id = s.user_id
            WHERE s.status = 'completed' AND abs(hashtext(s.id::text)) % 10 <> 0
        ) scored
        """
    )
