"""Prometheus metrics of model calls (exported by the worker process that makes them)."""

from prometheus_client import Counter, Histogram

MODEL_LATENCY = Histogram(
    "llm_request_duration_seconds",
    "Duration of one model call, by model and outcome ('ok' or the error code).",
    ["model", "outcome"],
    buckets=(0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60),
)
MODEL_TOKENS = Counter("llm_tokens_total", "Tokens used by model calls.", ["model", "direction"])
