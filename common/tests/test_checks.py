"""Settings that must agree: time budgets and the structured-output mode (manage.py check, worker start-up)."""

import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from common.checks import check_structured_output_mode, check_time_budgets, longest_run_seconds
from tests.processes import ROOT, procfile_command, service_env


def ids(errors) -> list[str]:
    return [e.id for e in errors]


def test_the_default_budgets_are_coherent():
    assert check_time_budgets() == []
    assert longest_run_seconds() == 2 * (30 + 5) + 7.5 + 5  # two calls, the store's retries, overhead


def test_a_long_model_timeout_with_the_default_lease_is_refused(settings):
    settings.OPENAI_TIMEOUT_SECONDS = 120

    errors = check_time_budgets()

    assert ids(errors) == ["budgets.E001", "budgets.E002"]
    assert "OPERATION_LEASE_SECONDS to at least 272" in errors[0].hint
    assert "MODEL_TIME_PROFILE=slow-local" in errors[0].hint
    with pytest.raises(SystemCheckError, match=r"budgets\.E001"):
        call_command("check")


def test_a_visibility_timeout_below_the_lease_is_refused(settings):
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {**settings.CELERY_BROKER_TRANSPORT_OPTIONS, "visibility_timeout": 100}
    assert ids(check_time_budgets()) == ["budgets.E003"]


def test_an_unknown_structured_output_mode_is_refused(settings):
    settings.OPENAI_STRUCTURED_OUTPUT = "grammar"
    [error] = check_structured_output_mode()
    assert error.id == "llm.E001" and "json_schema, json_object, tools" in error.hint


def run_check(**extra: str | None) -> subprocess.CompletedProcess:
    """``manage.py check`` in a process of its own; a None value removes that variable."""
    env = service_env()
    for name, value in extra.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.slow
def test_the_slow_local_profile_passes_and_its_budgets_hold():
    result = run_check(MODEL_TIME_PROFILE="slow-local", OPENAI_TIMEOUT_SECONDS=None)
    assert result.returncode == 0, result.stderr
    bad = run_check(MODEL_TIME_PROFILE="slow-local", OPENAI_TIMEOUT_SECONDS="600")
    assert bad.returncode != 0 and "budgets.E001" in bad.stderr


@pytest.mark.slow
def test_the_worker_refuses_to_start_on_incoherent_budgets():
    result = subprocess.run(
        procfile_command("worker", "--without-mingle", "--without-gossip", "-c", "1"),
        cwd=ROOT,
        env=service_env(OPENAI_TIMEOUT_SECONDS="120"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "refusing to start" in result.stderr + result.stdout
    assert "budgets.E001" in result.stderr + result.stdout
