"""The collector tuning of the service's processes (common/runtime.py)."""

import gc
import subprocess
import sys

from common.runtime import YOUNG_GENERATION_THRESHOLD, tune_gc
from tests.processes import ROOT, service_env


def test_tune_gc_freezes_what_is_loaded_and_raises_the_young_threshold():
    threshold = gc.get_threshold()
    try:
        tune_gc()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] == YOUNG_GENERATION_THRESHOLD
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


def test_the_web_process_is_tuned_once_loaded():
    """What uvicorn imports (config.asgi) leaves the process tuned."""
    probe = "import gc, config.asgi; print(gc.get_threshold()[0], gc.get_freeze_count() > 0)"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=service_env(), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(YOUNG_GENERATION_THRESHOLD), "True"]


def test_the_worker_tunes_itself_when_ready():
    from celery.signals import worker_process_init, worker_ready

    import config.celery

    for signal in (worker_ready, worker_process_init):
        assert any(r() is config.celery.tune_gc for _, r in signal.receivers if callable(r)), signal
