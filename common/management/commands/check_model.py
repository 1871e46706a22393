"""``manage.py check_model``: what the configured model server supports, and the settings to use.

An operator runs it after pointing OPENAI_BASE_URL / OPENAI_API_KEY / OPENAI_MODEL at a provider.
It checks the key (one model-list call), then sends one tiny structured request in each
structured-output mode and prints, per mode, whether the server accepted it and answered
valid JSON, the latency and the generation speed; then the settings to use. Exit status 1
when no mode works. The key is never printed.
"""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from pydantic import BaseModel, ConfigDict, Field

from common.checks import MODEL_CALLS_PER_RUN
from llm import LLMError, LLMErrorCode, complete_structured, service_credentials
from llm.keys import validate_key
from llm.structured import MODES

# Preferred first: the server enforces the schema while it generates.
PREFERENCE = ("json_schema", "tools", "json_object")
# A full feedback analysis, roughly: what the timeout must leave room for. Servers read a prompt
# several times faster than they write (llama.cpp on CPU: ~4x); hosted APIs far faster still.
ANALYSIS_OUTPUT_TOKENS = 800
ANALYSIS_PROMPT_TOKENS = 3000
PROMPT_READ_SPEEDUP = 4


class ModelProbe(BaseModel):
    """A city and the country it is in."""

    model_config = ConfigDict(extra="forbid")

    city: str = Field(min_length=1, max_length=100)
    country: str = Field(min_length=1, max_length=100)


PROBE = [
    {"role": "system", "content": "You answer geography questions with one JSON object."},
    {"role": "user", "content": "What is the capital of France? Give the city and its country."},
]


class Command(BaseCommand):
    help = "Probe the configured model server: key, structured-output modes, speed; print the settings to use."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--mode", choices=MODES, action="append", help="Probe only this mode (repeatable).")

    def handle(self, *args: Any, **options: Any) -> None:
        credentials = service_credentials()
        if credentials is None:
            raise CommandError("OPENAI_API_KEY is empty: set it (any non-empty value for a local server).")
        self.stdout.write(
            f"Server: {settings.OPENAI_BASE_URL or 'https://api.openai.com/v1 (OpenAI)'}\n"
            f"Model:  {settings.OPENAI_MODEL}\n"
            f"Now:    OPENAI_STRUCTURED_OUTPUT={settings.OPENAI_STRUCTURED_OUTPUT}, "
            f"OPENAI_TIMEOUT_SECONDS={settings.OPENAI_TIMEOUT_SECONDS:g}\n"
        )
        self._key()
        results = {mode: self._probe(mode) for mode in options["mode"] or MODES}
        working = [mode for mode in PREFERENCE if mode in results and results[mode] is not None]
        self.stdout.write("")
        if not working:
            raise CommandError(
                "No structured-output mode worked with this server and model: see the lines above. "
                "Check OPENAI_BASE_URL and OPENAI_MODEL, or try a larger model."
            )
        best = working[0]
        self.stdout.write(self.style.SUCCESS(f"Use: OPENAI_STRUCTURED_OUTPUT={best}"))
        speed = results[best]
        if speed:
            self._timing_advice(speed)

    def _key(self) -> None:
        started = time.monotonic()
        try:
            validate_key(settings.OPENAI_API_KEY)
        except LLMError as exc:
            if exc.code == LLMErrorCode.AUTH_FAILED:
                raise CommandError("The server rejected OPENAI_API_KEY (401/403).") from None
            raise CommandError(f"The server cannot be reached ({exc.code}): check OPENAI_BASE_URL.") from None
        self.stdout.write(f"Key:    accepted ({(time.monotonic() - started) * 1000:.0f} ms, GET /models)\n")

    def _probe(self, mode: str) -> float | None:
        """Tokens per second for a valid answer in ``mode`` (0.0 when the server reports no usage), else None."""
        try:
            outcome = complete_structured(
                messages=PROBE,
                schema=ModelProbe,
                credentials=service_credentials(),
                mode=mode,
                invalid_output_retries=0,
            )
        except LLMError as exc:
            reason = {
                LLMErrorCode.UNSUPPORTED_REQUEST: "refused by the server (it does not take this request shape)",
                LLMErrorCode.RESPONSE_INVALID: "accepted, but the answer was not valid JSON for the schema",
                LLMErrorCode.BAD_REQUEST: "refused by the server (400)",
            }.get(exc.code, exc.code)
            self.stdout.write(f"  {mode:<12} no   {reason}")
            return None
        seconds = outcome.latency_ms / 1000
        tokens = outcome.output_tokens or 0
        speed = tokens / seconds if tokens and seconds else 0.0
        rate = f", {tokens} tokens, {speed:.1f} tokens/s" if tokens else ""
        self.stdout.write(
            f"  {mode:<12} yes  {outcome.latency_ms} ms{rate}: {outcome.parsed.city}, {outcome.parsed.country}"
        )
        return speed

    def _timing_advice(self, tokens_per_second: float) -> None:
        writing = ANALYSIS_OUTPUT_TOKENS / tokens_per_second
        reading = ANALYSIS_PROMPT_TOKENS / (tokens_per_second * PROMPT_READ_SPEEDUP)
        needed = writing + reading
        self.stdout.write(
            f"A feedback analysis reads about {ANALYSIS_PROMPT_TOKENS} tokens and writes about "
            f"{ANALYSIS_OUTPUT_TOKENS}: about {needed:.0f} s at this speed ({writing:.0f} s writing, ~{reading:.0f} s "
            "reading)."
        )
        if needed * 1.5 > settings.OPENAI_TIMEOUT_SECONDS:
            self.stdout.write(
                self.style.WARNING(
                    f"That is close to or over OPENAI_TIMEOUT_SECONDS={settings.OPENAI_TIMEOUT_SECONDS:g}: use "
                    "MODEL_TIME_PROFILE=slow-local (5-minute calls, budgets to match), or set "
                    f"OPENAI_TIMEOUT_SECONDS to about {needed * 2:.0f} and OPERATION_LEASE_SECONDS above "
                    f"{MODEL_CALLS_PER_RUN} times that (manage.py check verifies the budgets)."
                )
            )
