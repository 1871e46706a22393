"""The benchmark's load generator: a separate process, no Django, as little overhead as we can.

``python bench/load.py SPEC.json`` runs one step and prints one JSON object (the result) as
the last line of stdout. Modes (``spec["mode"]``):

* ``http``: a closed loop of ``concurrency`` keep-alive HTTP/1.1 connections to 127.0.0.1, each
  sending its next request as soon as the previous answer is read, for ``warmup`` + ``duration``
  seconds (only the ``duration`` part is measured). Requests are built from ``items``; a POST
  item is used once (each request needs a fresh session), GET items are cycled.
* ``raw-post`` / ``raw-get``: the same SQL statements the endpoint issues (captured by
  phases/raw_limit.py), replayed by ``concurrency`` psycopg connections, one per client, plus the
  same Redis commands (the cached user, the throttles, the Celery publish), each to its db - no
  framework, the floor under the endpoint's cost. A ``raw-post`` item is used once.
* ``wait``: one long-poll (``?wait=N``) per item, all at once, each on its own connection;
  prints ``SENT`` when every request is written, then records when each answer arrives.

The HTTP client is a ~100-line asyncio protocol on uvloop (no httpx): on a 2-core machine
every microsecond the load generator spends is taken from the server it measures.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import math
import resource
import sys
import time
import uuid

try:
    import uvloop
except ImportError:  # pragma: no cover - uvloop is in requirements.txt
    uvloop = None  # type: ignore[assignment]  # the optional import's fallback


def percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    index = max(0, math.ceil(q * len(sorted_values)) - 1)
    return sorted_values[index]


def summary(latencies: list[float], errors: int, window: float, **extra) -> dict:
    latencies.sort()
    ms = [v * 1000 for v in latencies]
    return {
        "count": len(latencies),
        "errors": errors,
        "window_s": round(window, 3),
        "throughput": len(latencies) / window if window > 0 else 0.0,
        "p50_ms": percentile(ms, 0.50),
        "p95_ms": percentile(ms, 0.95),
        "p99_ms": percentile(ms, 0.99),
        "max_ms": ms[-1] if ms else None,
        **extra,
    }


# A minimal HTTP/1.1 client ----------------------------------------------------------------


class HttpError(Exception):
    pass


class Connection(asyncio.Protocol):
    """One keep-alive connection; ``request()`` writes raw bytes and awaits one full answer."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes, bool]] | None = None
        self.head: tuple[int, int | None, bool, bool] | None = None
        self.closed = False

    def connection_made(self, transport) -> None:
        self.transport = transport

    def connection_lost(self, exc) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(HttpError(f"connection lost: {exc!r}"))

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if self.waiter is not None and not self.waiter.done():
            try:
                self._parse(self.waiter)
            except Exception as exc:
                self.waiter.set_exception(HttpError(f"bad response: {exc!r}"))

    def _parse(self, waiter: asyncio.Future[tuple[int, bytes, bool]]) -> None:
        if self.head is None:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            lines = bytes(self.buf[:end]).split(b"\r\n")
            del self.buf[: end + 4]
            status = int(lines[0].split(b" ", 2)[1])
            length, chunked, close = None, False, False
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"transfer-encoding":
                    chunked = b"chunked" in value.lower()
                elif name == b"connection":
                    close = value.strip().lower() == b"close"
            self.head = (status, length, chunked, close)
        status, length, chunked, close = self.head
        if chunked:
            body, used = _dechunk(self.buf)
            if body is None:
                return
            del self.buf[:used]
        elif length is not None:
            if len(self.buf) < length:
                return
            body = bytes(self.buf[:length])
            del self.buf[:length]
        else:
            raise HttpError("response without length")
        self.head = None
        waiter.set_result((status, body, close))

    async def request(self, raw: bytes, timeout: float) -> tuple[int, bytes, bool]:
        if self.closed:
            raise HttpError("connection closed")
        assert self.transport is not None  # connected
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(raw)
        return await asyncio.wait_for(self.waiter, timeout)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def _dechunk(buf: bytearray) -> tuple[bytes | None, int]:
    pos = 0
    parts: list[bytes] = []
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return None, 0
        size = int(bytes(buf[pos:eol]).split(b";")[0], 16)
        start = eol + 2
        if size == 0:
            if len(buf) < start + 2:
                return None, 0
            return b"".join(parts), start + 2
        if len(buf) < start + size + 2:
            return None, 0
        parts.append(bytes(buf[start : start + size]))
        pos = start + size + 2


async def connect(host: str, port: int) -> Connection:
    loop = asyncio.get_running_loop()
    _transport, protocol = await loop.create_connection(Connection, host, port)
    return protocol


def build_request(method: str, host: str, port: int, path: str, token: str) -> bytes:
    body = b"" if method == "GET" else b"{}"
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: {host}:{port}",
        f"Authorization: Bearer {token}",
        "Accept: application/json",
    ]
    if method != "GET":
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def run_http(spec: dict) -> dict:
    host, port = spec["host"], spec["port"]
    method, expect = spec["method"], spec["expect_status"]
    tokens, items, template = spec["tokens"], spec["items"], spec["path_template"]
    consume = method != "GET"
    concurrency, warmup, duration = spec["concurrency"], spec["warmup"], spec["duration"]
    timeout = spec.get("timeout", 30.0)

    next_index = 0
    latencies: list[float] = []
    errors = 0
    done = 0
    samples: list[str] = []
    exhausted = False
    start = time.perf_counter()
    measure_from = start + warmup
    stop_at = measure_from + duration

    def next_request() -> bytes | None:
        nonlocal next_index, exhausted
        if next_index >= len(items):
            if consume:
                exhausted = True
                return None
            next_index = 0
        object_id, user = items[next_index]
        next_index += 1
        return build_request(method, host, port, template.format(id=object_id), tokens[user])

    async def client() -> None:
        nonlocal errors, done
        conn = await connect(host, port)
        try:
            while True:
                now = time.perf_counter()
                if now >= stop_at:
                    return
                raw = next_request()
                if raw is None:
                    return
                t0 = time.perf_counter()
                try:
                    status, body, close = await conn.request(raw, timeout)
                except (HttpError, OSError, TimeoutError) as exc:
                    status, body, close = None, repr(exc).encode(), True
                t1 = time.perf_counter()
                done += 1
                if t0 >= measure_from and t1 <= stop_at:
                    if status == expect:
                        latencies.append(t1 - t0)
                    else:
                        errors += 1
                        if len(samples) < 5:
                            samples.append(f"{status}: {body[:300].decode(errors='replace')}")
                if close:
                    conn.close()
                    conn = await connect(host, port)
        finally:
            conn.close()

    await asyncio.gather(*(client() for _ in range(concurrency)))
    end = min(time.perf_counter(), stop_at)
    return summary(
        latencies,
        errors,
        end - measure_from,
        error_samples=samples,
        exhausted=exhausted,
        used_items=next_index,
        all_requests=done,
    )


# The raw limit: the endpoint's SQL and broker commands with no framework ---------------------


def _param(template: dict, values: dict):
    kind = template["t"]
    if kind in values:
        return values[kind]
    value = template.get("v")
    typ = template.get("type")
    if value is None:
        return None
    if typ == "uuid":
        return uuid.UUID(value)
    if typ == "datetime":
        return dt.datetime.fromisoformat(value)
    if typ == "bytes":
        return base64.b64decode(value)
    if typ == "jsonb":
        from psycopg.types.json import Jsonb

        return Jsonb(value)
    return value


async def _pg_connect(conninfo: str, patience: float = 60.0):
    """A psycopg connection; while the server has none free ("too many clients": another program
    holds them), retried for up to `patience` seconds."""
    import psycopg

    deadline = time.monotonic() + patience
    while True:
        try:
            return await psycopg.AsyncConnection.connect(
                conninfo, autocommit=True, cursor_factory=psycopg.AsyncClientCursor
            )
        except psycopg.OperationalError as exc:
            if "too many clients" not in str(exc) or time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


async def run_raw(spec: dict) -> dict:
    import psycopg
    import redis.asyncio as aioredis

    statements = spec["statements"]
    # Each entry is one round trip to one Redis db (the cache's or the broker's): a single
    # command, or a pipeline of commands.
    redis_trips = [
        (
            trip["db"],
            trip["pipeline"],
            trip.get("transaction", False),
            [
                [part if isinstance(part, str) else base64.b64decode(part["b64"]) for part in cmd]
                for cmd in trip["commands"]
            ],
        )
        for trip in spec.get("redis", [])
    ]
    redis_dbs = sorted({trip[0] for trip in redis_trips})
    server = spec.get("redis_server", "").rstrip("/")
    user_ids = [uuid.UUID(u) for u in spec["user_ids"]]
    items, consume = spec["items"], spec["mode"] == "raw-post"
    concurrency, warmup, duration = spec["concurrency"], spec["warmup"], spec["duration"]
    next_index = 0
    latencies: list[float] = []
    errors = 0
    samples: list[str] = []
    exhausted = False
    # Every client's PostgreSQL connection before the clock starts: connecting is not the
    # endpoint's cost, and may have to wait for another program to free connections.
    conns = await asyncio.gather(*(_pg_connect(spec["conninfo"]) for _ in range(concurrency)))
    start = time.perf_counter()
    measure_from = start + warmup
    stop_at = measure_from + duration

    def next_item():
        nonlocal next_index, exhausted
        if next_index >= len(items):
            if consume:
                exhausted = True
                return None
            next_index = 0
        item = items[next_index]
        next_index += 1
        return item

    async def client(conn) -> None:
        nonlocal errors
        # One connection per Redis db per client too, as each web thread/process has its own.
        rconns = {db: aioredis.Redis.from_url(f"{server}/{db}", single_connection_client=True) for db in redis_dbs}
        try:
            while time.perf_counter() < stop_at:
                item = next_item()
                if item is None:
                    return
                values = {
                    "user": user_ids[item[1]],
                    "object": uuid.UUID(item[0]),
                    "new_id": uuid.uuid4(),
                    "now": dt.datetime.now(dt.UTC),
                }
                t0 = time.perf_counter()
                try:
                    in_tx = False
                    async with conn.cursor() as cur:
                        for st in statements:
                            if st["atomic"] and not in_tx:
                                await cur.execute("BEGIN")
                                in_tx = True
                            elif not st["atomic"] and in_tx:
                                await cur.execute("COMMIT")
                                in_tx = False
                            await cur.execute(st["sql"], [_param(p, values) for p in st["params"]])
                            if cur.description is not None:
                                await cur.fetchall()
                        if in_tx:
                            await cur.execute("COMMIT")
                    for db, pipelined, transaction, commands in redis_trips:
                        if pipelined:
                            async with rconns[db].pipeline(transaction=transaction) as pipe:
                                for command in commands:
                                    pipe.execute_command(*command)
                                await pipe.execute()
                        else:
                            await rconns[db].execute_command(*commands[0])
                    ok = True
                except Exception as exc:
                    ok = False
                    if len(samples) < 5:
                        samples.append(repr(exc)[:300])
                    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                        await conn.rollback()
                t1 = time.perf_counter()
                if t0 >= measure_from and t1 <= stop_at:
                    if ok:
                        latencies.append(t1 - t0)
                    else:
                        errors += 1
        finally:
            await conn.close()
            for rconn in rconns.values():
                await rconn.aclose()

    await asyncio.gather(*(client(conn) for conn in conns))
    end = min(time.perf_counter(), stop_at)
    return summary(
        latencies, errors, end - measure_from, error_samples=samples, exhausted=exhausted, used_items=next_index
    )


# Many waiters at once ------------------------------------------------------------------------


async def run_wait(spec: dict) -> dict:
    host, port, tokens, items = spec["host"], spec["port"], spec["tokens"], spec["items"]
    wait, timeout = spec["wait"], spec["wait"] + 15
    connect_batch = spec.get("connect_batch", 100)

    conns: list[Connection | None] = [None] * len(items)
    failures: list[str] = []
    for offset in range(0, len(items), connect_batch):
        batch = range(offset, min(offset + connect_batch, len(items)))
        results = await asyncio.gather(*(connect(host, port) for _ in batch), return_exceptions=True)
        for index, result in zip(batch, results, strict=True):
            if isinstance(result, BaseException):
                failures.append(repr(result))
            else:
                conns[index] = result

    received: dict[str, list] = {}

    async def waiter(index: int, future: asyncio.Future) -> None:
        op_id = items[index][0]
        try:
            status, body, _close = await asyncio.wait_for(future, timeout)
            t = time.monotonic()
            op_status = json.loads(body).get("status") if status == 200 else None
            received[op_id] = [t, status, op_status]
        except Exception as exc:
            received[op_id] = [time.monotonic(), None, repr(exc)[:200]]

    tasks = []
    loop = asyncio.get_running_loop()
    for index, conn in enumerate(conns):
        if conn is None:
            continue
        op_id, user = items[index]
        raw = build_request("GET", host, port, f"/api/v1/operations/{op_id}?wait={wait}", tokens[user])
        assert conn.transport is not None  # connected
        conn.waiter = loop.create_future()
        conn.transport.write(raw)
        tasks.append(loop.create_task(waiter(index, conn.waiter)))
    sent_at = time.monotonic()
    print("SENT", flush=True)
    await asyncio.gather(*tasks)
    for conn in conns:
        if conn is not None:
            conn.close()
    return {"sent_at": sent_at, "connect_failures": failures[:5], "connect_failed": len(failures), "received": received}


def main() -> None:
    spec = json.loads(open(sys.argv[1], encoding="utf-8").read())
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, 65536)) if hard != resource.RLIM_INFINITY else max(soft, 65536)
    if want > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    runner = {"http": run_http, "raw-post": run_raw, "raw-get": run_raw, "wait": run_wait}[spec["mode"]]
    cpu0 = time.process_time()
    if uvloop is not None and spec.get("uvloop", True):
        result = uvloop.run(runner(spec))
    else:
        result = asyncio.run(runner(spec))
    result["client_cpu_s"] = time.process_time() - cpu0  # this process's CPU for the whole step
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
