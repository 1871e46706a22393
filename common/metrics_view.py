"""``/metrics`` in Prometheus format: HTTP metrics (django-prometheus) and the operation pipeline.

Protected by a bearer token when METRICS_TOKEN is set (keep it set in production, or keep the
path off the public listener). With several web processes, set PROMETHEUS_MULTIPROC_DIR so the
page aggregates them (prometheus_client's multiprocess mode).
"""

import hmac
import os

import prometheus_client
from django.conf import settings
from django.http import HttpResponse
from prometheus_client import multiprocess

from common.views import _problem_response
from operations.metrics import UnfinishedOperationsCollector

_unfinished = UnfinishedOperationsCollector()


def metrics(request):
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            return _problem_response(401, "NOT_AUTHENTICATED", "A valid metrics token is required.")
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = prometheus_client.REGISTRY
    page = prometheus_client.generate_latest(registry)
    # The database gauges are read per scrape, not kept in the (per-process) registry.
    scratch = prometheus_client.CollectorRegistry()
    scratch.register(_unfinished)
    page += prometheus_client.generate_latest(scratch)
    return HttpResponse(page, content_type=prometheus_client.CONTENT_TYPE_LATEST)
