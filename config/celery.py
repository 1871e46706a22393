"""The Celery application: configured from Django settings (``CELERY_*``).

Production settings unless DJANGO_SETTINGS_MODULE says otherwise (see config/wsgi.py).
"""

import logging
import os

from celery import Celery
from celery.signals import worker_init, worker_process_init, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("interview_feedback")
# All Celery settings live in Django settings with the CELERY_ prefix.
# https://docs.celeryq.dev/en/stable/django/first-steps-with-django.html
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def refuse_incoherent_settings(**kwargs) -> None:
    """The worker does not start on settings whose time budgets disagree (common/checks.py)."""
    from django.core import checks

    errors = [e for e in checks.run_checks() if e.is_serious()]
    if errors:
        for error in errors:
            logging.getLogger(__name__).critical("%s", error)
        raise SystemExit(f"refusing to start: {len(errors)} configuration error(s), see above")


@worker_init.connect
def start_metrics_server(**kwargs) -> None:
    """Each worker serves its Prometheus metrics (operations finished, model latency, tokens)."""
    from django.conf import settings
    from prometheus_client import start_http_server

    port = settings.CELERY_METRICS_PORT
    if port:
        try:
            start_http_server(port)
        except OSError as exc:  # a second worker on this host: metrics off for it, work goes on
            logging.getLogger(__name__).warning("metrics port %s unavailable (%s)", port, exc)


@worker_ready.connect
@worker_process_init.connect  # each prefork child, when that pool is chosen
def tune_gc(**kwargs) -> None:
    """The worker's tasks allocate as a request does: the same collector tuning as the web."""
    from common.runtime import tune_gc

    tune_gc()
