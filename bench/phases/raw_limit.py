"""The raw limit: the SQL and Redis commands of one real POST and one real GET, replayed with no framework.

`capture` runs one POST and one GET through Django in this process and records, exactly, the SQL
(statement text and parameters, in or out of a transaction) and the Redis commands they issue.
`run` replays them in closed loops from the load generator (bench/load.py: one psycopg connection
per client, redis-py for the publish) at each client count: the floor under the endpoints' cost,
which the report divides the HTTP steps' throughput by ("of raw").
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import datetime as dt
import threading
import uuid

from bench.data import Data
from bench.meters import CpuMeter
from bench.report import log_step
from bench.stack import Stack
from bench.util import log


@dataclasses.dataclass
class Capture:
    post: dict  # {"statements": [...], "redis": [...]}: what load.py replays per POST loop
    get: dict  # {"statements": [...]}
    summary: dict  # the statements' text and the Redis commands, for the report's appendix


def sessions_per_step(args: argparse.Namespace) -> int:
    """Fresh sessions one POST step may consume at --max-raw-rate."""
    return int(args.max_raw_rate * (min(args.warmup, 1.0) + args.raw_duration + 1))


def run(args: argparse.Namespace, stack: Stack, data: Data, captured: Capture) -> tuple[list[dict], list]:
    """The POST loops, then the GET loops on the pending operations the POST loops created;
    returns the steps' results and those operations (the HTTP GET steps read them too)."""
    # The raw loops first, with no web server holding pooled connections: 64 clients
    # need 64 of PostgreSQL's max_connections (100 here).
    steps = []
    for c in args.concurrency:
        items = data.take_sessions(sessions_per_step(args))
        steps.append(step(args, stack, data, captured, endpoint="POST", concurrency=c, items=items))
    # Pending operations (the raw POSTs' rows are real rows) to read, by their owners.
    operations = data.pending_operations(limit=20000)
    for c in args.concurrency:
        steps.append(step(args, stack, data, captured, endpoint="GET", concurrency=c, items=operations))
    return steps, operations


def step(
    args: argparse.Namespace, stack: Stack, data: Data, captured: Capture, *, endpoint: str, concurrency: int, items
) -> dict:
    a = args
    replay = captured.post if endpoint == "POST" else captured.get
    spec = {
        "mode": "raw-post" if endpoint == "POST" else "raw-get",
        "conninfo": stack.db_url,
        "redis_url": stack.redis_url,
        "statements": replay["statements"],
        "redis": replay.get("redis", []),
        "user_ids": data.user_ids,
        "items": items,
        "concurrency": concurrency,
        "warmup": min(a.warmup, 1.0),
        "duration": a.raw_duration,
    }
    meter = CpuMeter(a.db_name, stack.process_groups)
    result = stack.run_load(spec, timeout=a.warmup + a.raw_duration + 60)
    cpu = meter.stop()
    result.update(
        kind="raw",
        server="psycopg+redis",
        endpoint=endpoint,
        concurrency=concurrency,
        foreign_cpu_pct=cpu["foreign_pct"],
    )
    log_step(result)
    return result


def capture(data: Data) -> Capture:
    """Run one POST and one GET through Django in this process and record, exactly, the SQL
    (statement text and parameters) and the Redis commands they issue, for the raw loops."""
    import redis
    from django.db import connection
    from django.test import Client

    recorded_redis: list[dict] = []
    recording = threading.Event()
    original_execute = redis.Redis.execute_command
    original_pipeline = redis.client.Pipeline.execute

    def encode(arg):
        if isinstance(arg, bytes):
            return {"b64": base64.b64encode(arg).decode()}
        return str(arg)

    def execute_command(client, *cmd, **options):
        if recording.is_set():
            recorded_redis.append({"pipeline": False, "commands": [[encode(a) for a in cmd]]})
        return original_execute(client, *cmd, **options)

    def pipeline_execute(pipe, *a, **kw):
        if recording.is_set():
            commands = [[encode(x) for x in args] for args, _options in pipe.command_stack]
            recorded_redis.append({"pipeline": True, "transaction": pipe.transaction, "commands": commands})
        return original_pipeline(pipe, *a, **kw)

    statements: list[dict] = []

    def sql_wrapper(execute, sql, params, many, context):
        statements.append({"sql": sql, "params": list(params or ()), "atomic": connection.in_atomic_block})
        return execute(sql, params, many, context)

    (warm_sid, warm_user), (sid, user_n) = data.take_sessions(2)
    client = Client(SERVER_NAME="127.0.0.1")

    def post(session_id, user_n):
        return client.post(
            f"/api/v1/sessions/{session_id}/generate-feedback",
            HTTP_AUTHORIZATION=f"Bearer {data.tokens[user_n]}",
            content_type="application/json",
        )

    redis.Redis.execute_command = execute_command
    redis.client.Pipeline.execute = pipeline_execute
    try:
        warm = post(warm_sid, warm_user)  # connections, queue declaration: not per request
        assert warm.status_code == 202, warm.content
        recording.set()
        with connection.execute_wrapper(sql_wrapper):
            response = post(sid, user_n)
        recording.clear()
        assert response.status_code == 202, response.content
        op_id = response.json()["id"]
        post_sql, statements = statements, []
        client.get(f"/api/v1/operations/{warm.json()['id']}", HTTP_AUTHORIZATION=f"Bearer {data.tokens[warm_user]}")
        with connection.execute_wrapper(sql_wrapper):
            response = client.get(f"/api/v1/operations/{op_id}", HTTP_AUTHORIZATION=f"Bearer {data.tokens[user_n]}")
        assert response.status_code == 200, response.content
        get_sql = statements
    finally:
        redis.Redis.execute_command = original_execute
        redis.client.Pipeline.execute = original_pipeline

    user_id = data.user_ids[user_n]
    raw_post = {
        "statements": [_template(s, {user_id: "user", sid: "object", op_id: "new_id"}) for s in post_sql],
        "redis": recorded_redis,
    }
    raw_get = {"statements": [_template(s, {user_id: "user", op_id: "object"}) for s in get_sql]}
    summary = {
        "post_sql": [s["sql"] for s in post_sql],
        "post_atomic": [s["atomic"] for s in post_sql],
        "post_redis": [
            " ".join(
                (c[0] if isinstance(c[0], str) else "?")
                + ("" if len(c) < 2 else " " + (c[1] if isinstance(c[1], str) else "<bytes>"))
                for c in r["commands"]
            )
            + (" (pipeline)" if r["pipeline"] else "")
            for r in recorded_redis
        ],
        "get_sql": [s["sql"] for s in get_sql],
    }
    log(
        f"captured: POST = {len(post_sql)} SQL statements + {len(recorded_redis)} Redis round trips; "
        f"GET = {len(get_sql)} SQL statements"
    )
    return Capture(post=raw_post, get=raw_get, summary=summary)


def _template(statement: dict, names: dict[str, str]) -> dict:
    from psycopg.types.json import Jsonb

    params = []
    for value in statement["params"]:
        if isinstance(value, uuid.UUID | str) and str(value) in names:
            params.append({"t": names[str(value)]})
        elif isinstance(value, dt.datetime):
            params.append({"t": "now"})
        elif isinstance(value, uuid.UUID):
            params.append({"t": "const", "type": "uuid", "v": str(value)})
        elif isinstance(value, Jsonb):  # a JSONField's value (Django wraps it for psycopg)
            params.append({"t": "const", "type": "jsonb", "v": value.obj})
        elif value is None or isinstance(value, bool | int | float | str):
            params.append({"t": "const", "v": value})
        else:
            raise TypeError(f"cannot replay a parameter of type {type(value).__name__}: {statement['sql']}")
    return {"sql": statement["sql"], "params": params, "atomic": statement["atomic"]}
