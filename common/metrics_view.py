"""``/metrics`` in Prometheus format: HTTP metrics (django-prometheus) and the operation pipeline.

Protected by a bearer token when METRICS_TOKEN is set (keep it set in production, or keep the
path off the public listener). With several web processes, set PROMETHEUS_MULTIPROC_DIR so the
page aggregates them (prometheus_client's multiprocess mode).
"""

from __future__ import annotations

import hmac
import os

import prometheus_client
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import multiprocess
from prometheus_client.registry import Collector

from common.exceptions import NOT_AUTHENTICATED
from common.views import _problem_response

# Collectors read at scrape time (e.g. gauges computed from the database), not kept in the
# per-process registry: apps register theirs in ready() (operations: its unfinished operations).
_scrape_collectors: list[Collector] = []


def register_scrape_collector(collector: Collector) -> None:
    if collector not in _scrape_collectors:
        _scrape_collectors.append(collector)


def metrics(request: HttpRequest) -> HttpResponse:
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            return _problem_response(401, NOT_AUTHENTICATED, "A valid metrics token is required.")
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # unannotated upstream
    else:
        registry = prometheus_client.REGISTRY
    page = prometheus_client.generate_latest(registry)
    scratch = prometheus_client.CollectorRegistry()
    for collector in _scrape_collectors:
        scratch.register(collector)
    page += prometheus_client.generate_latest(scratch)
    return HttpResponse(page, content_type=prometheus_client.CONTENT_TYPE_LATEST)
