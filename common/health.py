"""Health endpoints for load balancers and orchestrators (no authentication, no throttling).

* ``/healthz`` - the process is alive and serving; touches no dependency.
* ``/readyz`` - the database and the broker answer; 503 problem details naming the failed
  dependency otherwise (never the exception text: it can carry hosts and credentials).
"""

from __future__ import annotations

import logging
from typing import Any

from celery import current_app
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from common.exceptions import PROBLEM_CONTENT_TYPE, SERVICE_UNAVAILABLE, problem

logger = logging.getLogger(__name__)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            row: tuple[Any, ...] | None = cursor.fetchone()
            return row == (1,)
    except Exception as exc:
        logger.warning("readyz: database check failed (%s)", type(exc).__name__)
        return False


def _broker_ok() -> bool:
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
        return True
    except Exception as exc:
        logger.warning("readyz: broker check failed (%s)", type(exc).__name__)
        return False


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    if all(checks.values()):
        return JsonResponse({"status": "ok", "checks": {k: "ok" for k in checks}})
    failed = [name for name, ok in checks.items() if not ok]
    body = problem(503, SERVICE_UNAVAILABLE, f"Not ready: {', '.join(failed)} unavailable.")
    body["checks"] = {name: "ok" if ok else "unavailable" for name, ok in checks.items()}
    return JsonResponse(body, status=503, content_type=PROBLEM_CONTENT_TYPE, headers={"Retry-After": "5"})
