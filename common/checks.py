"""System checks of settings that must agree with each other (``manage.py check``; the worker runs
them at start-up and refuses to start on an error: config/celery.py).

Time budgets: a model call is bounded by OPENAI_TIMEOUT_SECONDS (+ connect); a run makes at
most two (invalid output is asked for once more) and may retry its store; the run's claim
lasts OPERATION_LEASE_SECONDS, after which the recovery sweep hands the operation to another
run. So a run must end well within its lease, or one job would run twice at once - and bill
the model twice. The broker must not redeliver a waiting retry before its lease is over either.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import Error, Tags, register

from llm.budget import CHARS_PER_TOKEN, estimate_tokens
from llm.structured import MODES

# Model calls one run may make: the answer, and once more for invalid output.
MODEL_CALLS_PER_RUN = 2
# Claim, reads, prompt building, the store's transaction: generous.
RUN_OVERHEAD_SECONDS = 5.0
# The prefork pool's hard time limit is lease - 10 s (operations/runner.py): the run must fit in it.
LEASE_MARGIN_SECONDS = 10.0


def longest_run_seconds() -> float:
    call: float = settings.OPENAI_TIMEOUT_SECONDS + settings.OPENAI_CONNECT_TIMEOUT_SECONDS
    return MODEL_CALLS_PER_RUN * call + sum(settings.OPERATION_STORE_RETRY_DELAYS) + RUN_OVERHEAD_SECONDS


@register(Tags.compatibility)
def check_time_budgets(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[Error]:
    errors: list[Error] = []
    run = longest_run_seconds()
    lease = settings.OPERATION_LEASE_SECONDS
    needed = run + LEASE_MARGIN_SECONDS
    if lease < needed:
        errors.append(
            Error(
                f"One run can take up to {run:.0f} s ({MODEL_CALLS_PER_RUN} model calls of OPENAI_TIMEOUT_SECONDS="
                f"{settings.OPENAI_TIMEOUT_SECONDS:g} + OPENAI_CONNECT_TIMEOUT_SECONDS="
                f"{settings.OPENAI_CONNECT_TIMEOUT_SECONDS:g}, plus storing), longer than its claim "
                f"(OPERATION_LEASE_SECONDS={lease}) allows: the recovery sweep would start a second run of a job "
                "still in progress.",
                hint=f"Set OPERATION_LEASE_SECONDS to at least {needed:.0f}, lower OPENAI_TIMEOUT_SECONDS, or use "
                "MODEL_TIME_PROFILE=slow-local for a model that takes minutes per call.",
                id="budgets.E001",
            )
        )
    if settings.OPERATION_DEADLINE_SECONDS < run:
        errors.append(
            Error(
                f"OPERATION_DEADLINE_SECONDS={settings.OPERATION_DEADLINE_SECONDS:g} is shorter than one run "
                f"(up to {run:.0f} s): a transient model failure could never be retried.",
                hint=f"Set OPERATION_DEADLINE_SECONDS to at least {run:.0f} (about two runs is usual).",
                id="budgets.E002",
            )
        )
    transport = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
    visibility = transport.get("visibility_timeout")
    longest_wait = settings.OPERATION_RETRY_BACKOFF_MAX_SECONDS + lease
    if visibility is not None and visibility <= longest_wait:
        errors.append(
            Error(
                f"CELERY_VISIBILITY_TIMEOUT={visibility} is not above a retry's wait plus its lease "
                f"({longest_wait:g} s): Redis would deliver a second copy of a task still waiting or running.",
                hint=f"Set CELERY_VISIBILITY_TIMEOUT above {longest_wait:.0f}.",
                id="budgets.E003",
            )
        )
    return errors


# The instructions and the labels around the parts of a prompt, in tokens (generous).
PROMPT_FIXED_TOKENS = 2_000


@register(Tags.compatibility)
def check_prompt_budget(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[Error]:
    """The interview is never shortened (llm/budget.py): its bound must fit the model's input budget."""
    transcript = estimate_tokens("x" * settings.SESSION_MAX_TRANSCRIPT_CHARS)
    if transcript + PROMPT_FIXED_TOKENS <= settings.OPENAI_MAX_INPUT_TOKENS:
        return []
    return [
        Error(
            f"A full transcript (SESSION_MAX_TRANSCRIPT_CHARS={settings.SESSION_MAX_TRANSCRIPT_CHARS}, about "
            f"{transcript} tokens) plus the instructions does not fit OPENAI_MAX_INPUT_TOKENS="
            f"{settings.OPENAI_MAX_INPUT_TOKENS}.",
            hint=f"Lower SESSION_MAX_TRANSCRIPT_CHARS to at most "
            f"{(settings.OPENAI_MAX_INPUT_TOKENS - PROMPT_FIXED_TOKENS) * CHARS_PER_TOKEN}.",
            id="budgets.E004",
        )
    ]


@register(Tags.compatibility)
def check_structured_output_mode(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[Error]:
    if settings.OPENAI_STRUCTURED_OUTPUT in MODES:
        return []
    return [
        Error(
            f"OPENAI_STRUCTURED_OUTPUT={settings.OPENAI_STRUCTURED_OUTPUT!r} is not a structured-output mode.",
            hint=f"One of: {', '.join(MODES)} (manage.py check_model tells which the server supports).",
            id="llm.E001",
        )
    ]
