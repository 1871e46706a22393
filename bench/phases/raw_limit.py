"""The raw limit: the SQL and Redis commands of one real request of each endpoint, replayed with no framework.

`capture` runs one request of each endpoint (bench/endpoints.py) through Django in this process and
records, exactly, the SQL (statement text and parameters, in or out of a transaction) and the Redis
commands (the cached user, the throttles' counters, the Celery publish) it issues. `run` replays
them in closed loops from the load generator (bench/load.py: one psycopg connection and one Redis
connection per Redis db per client) at each client count (the dashboard at its own): the floor
under the endpoints' cost, which the report divides the HTTP steps' throughput by ("of raw").
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import dataclasses
import datetime as dt
import uuid
from typing import Any

from bench.data import Data
from bench.endpoints import DASHBOARD_CLIENTS, ENDPOINTS
from bench.meters import CpuMeter
from bench.report import log_step
from bench.stack import Stack
from bench.util import log


@dataclasses.dataclass
class Capture:
    # By endpoint key: {"statements": [...], "redis": [...]}, what load.py replays per loop.
    replays: dict[str, dict]
    # By endpoint key: the statements' text, in a transaction or not, and the Redis commands, for
    # the report's appendix.
    summary: dict[str, dict]


def sessions_per_step(args: argparse.Namespace) -> int:
    """Fresh sessions one POST step may consume at --max-raw-rate."""
    return int(args.max_raw_rate * (min(args.warmup, 1.0) + args.raw_duration + 1))


def run(args: argparse.Namespace, stack: Stack, data: Data, captured: Capture) -> tuple[list[dict], list]:
    """Each endpoint's loops at each client count (GET operation on the pending operations the
    generate-feedback loops created); returns the steps' results and those operations (the HTTP
    GET steps read them too)."""
    # The raw loops first, with no web server holding pooled connections: 64 clients
    # need 64 of PostgreSQL's max_connections (100 here).
    a = args
    steps = []

    def measure(key: str, concurrency: int, items) -> None:
        steps.append(step(a, stack, data, captured, endpoint=key, concurrency=concurrency, items=items))

    for c in a.concurrency:
        measure("feedback", c, data.take_sessions(sessions_per_step(a)))
    # Pending operations (the raw POSTs' rows are real rows) to read, by their owners.
    operations = data.pending_operations(limit=20000)
    for c in a.concurrency:
        measure("operation", c, operations)
    for c in a.concurrency:
        measure("question", c, data.take_sessions(sessions_per_step(a), "question"))
    for c in DASHBOARD_CLIENTS:
        measure("dashboard", c, data.dashboard_items())
    return steps, operations


def step(
    args: argparse.Namespace, stack: Stack, data: Data, captured: Capture, *, endpoint: str, concurrency: int, items
) -> dict:
    a = args
    replay = captured.replays[endpoint]
    spec = {
        "mode": "raw-post" if ENDPOINTS[endpoint].sessions else "raw-get",
        "conninfo": stack.db_url,
        "redis_server": stack.args.redis,
        "statements": replay["statements"],
        "redis": replay["redis"],
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
    """One request of each endpoint through Django in this process, after a first one by the same
    user (connections, the queue's declaration, the user into the cache: not per request), and
    what it issued, recorded exactly, as the raw loops replay it."""
    from django.test import Client

    client = Client(SERVER_NAME="127.0.0.1")
    replays, summary = {}, {}

    def request(key: str, object_id: str, user_n: int):
        endpoint = ENDPOINTS[key]
        path = endpoint.path.format(id=object_id)
        auth: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {data.tokens[user_n]}"}
        if endpoint.method == "POST":
            response = client.post(path, content_type="application/json", **auth)
        else:
            response = client.get(path, **auth)
        assert response.status_code == endpoint.status, (path, response.content)
        return response

    def keep(key: str, recorded: tuple, names: dict[str, str]) -> None:
        statements, trips = recorded
        replays[key] = {"statements": [_template(st, names) for st in statements], "redis": trips}
        summary[key] = {
            "sql": [st["sql"] for st in statements],
            "atomic": [st["atomic"] for st in statements],
            "redis": [_describe(trip) for trip in trips],
        }

    with _recorder() as record:
        for key in ("feedback", "question"):
            kind = ENDPOINTS[key].sessions
            assert kind is not None  # both take sessions
            (warm_sid, user_n), (sid, _user) = data.take_pair(kind)
            warm_op = request(key, warm_sid, user_n).json()["id"]
            recorded, response = record(lambda key=key, sid=sid, user_n=user_n: request(key, sid, user_n))
            op_id = response.json()["id"]
            keep(key, recorded, {data.user_ids[user_n]: "user", sid: "object", op_id: "new_id"})
            if key == "feedback":
                request("operation", warm_op, user_n)
                recorded, _response = record(lambda op_id=op_id, user_n=user_n: request("operation", op_id, user_n))
                keep("operation", recorded, {data.user_ids[user_n]: "user", op_id: "object"})
        user_n = data.dashboard_users[0]
        request("dashboard", "", user_n)
        recorded, _response = record(lambda: request("dashboard", "", user_n))
        keep("dashboard", recorded, {data.user_ids[user_n]: "user"})
    log(
        "captured: "
        + "; ".join(
            f"{ENDPOINTS[k].label} = {len(v['statements'])} SQL statements + {len(v['redis'])} Redis round trips"
            for k, v in replays.items()
        )
    )
    return Capture(replays=replays, summary=summary)


@contextlib.contextmanager
def _recorder():
    """Yields `record(call)`: runs `call()` and returns ((SQL statements, Redis round trips), its
    result). redis-py is patched meanwhile (single commands and pipelines), the SQL wrapped."""
    import redis
    from django.db import connection

    recording = False
    trips: list[dict] = []
    statements: list[dict] = []
    original_execute = redis.Redis.execute_command
    original_pipeline = redis.client.Pipeline.execute

    def encode(arg):
        if isinstance(arg, bytes):
            return {"b64": base64.b64encode(arg).decode()}
        return str(arg)

    def db(client) -> int:  # the cache's or the broker's
        return int(client.connection_pool.connection_kwargs.get("db") or 0)

    def execute_command(client, *cmd, **options):
        if recording:
            trips.append({"db": db(client), "pipeline": False, "commands": [[encode(a) for a in cmd]]})
        return original_execute(client, *cmd, **options)

    def pipeline_execute(pipe, *a, **kw):
        if recording:
            commands = [[encode(x) for x in args] for args, _options in pipe.command_stack]
            trips.append({"db": db(pipe), "pipeline": True, "transaction": pipe.transaction, "commands": commands})
        return original_pipeline(pipe, *a, **kw)

    def sql_wrapper(execute, sql, params, many, context):
        if recording:
            statements.append({"sql": sql, "params": list(params or ()), "atomic": connection.in_atomic_block})
        return execute(sql, params, many, context)

    def record(call):
        nonlocal recording, trips, statements
        trips, statements = [], []
        recording = True
        try:
            with connection.execute_wrapper(sql_wrapper):
                result = call()
        finally:
            recording = False
        return (statements, trips), result

    # Patched for the recording (class attributes: every client of the process), restored after.
    redis.Redis.execute_command = execute_command  # type: ignore[method-assign,assignment]
    redis.client.Pipeline.execute = pipeline_execute  # type: ignore[method-assign,assignment]
    try:
        yield record
    finally:
        redis.Redis.execute_command = original_execute  # type: ignore[method-assign]
        redis.client.Pipeline.execute = original_pipeline  # type: ignore[method-assign]


def _describe(trip: dict) -> str:
    """A Redis round trip for the report: each command's name and first argument."""
    return " ".join(
        (c[0] if isinstance(c[0], str) else "?")
        + ("" if len(c) < 2 else " " + (c[1] if isinstance(c[1], str) else "<bytes>"))
        for c in trip["commands"]
    ) + (" (pipeline)" if trip["pipeline"] else "")


def _template(statement: dict, names: dict[str, str]) -> dict:
    from psycopg.types.json import Jsonb

    params: list[dict[str, Any]] = []
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
