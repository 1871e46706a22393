"""Overhead, the workers not saturated: operations created one every 20 ms through the POST's own
service function (on the workers the throughput phase used); created → claimed (`started_at`), and
the fake model's answer → feedback committed (`finished_at`). Twice: the target asks for figures
stable across two runs."""

from __future__ import annotations

import argparse
import statistics
import time

from bench.data import Data, wait_finished
from bench.load import percentile
from bench.stack import Stack
from bench.util import fmt, log

RUNS = 2


def run(args: argparse.Namespace, stack: Stack, data: Data) -> list[dict]:
    return [one_run(args, stack, data, n) for n in range(1, RUNS + 1)]


def one_run(args: argparse.Namespace, stack: Stack, data: Data, number: int) -> dict:
    from interviews.models import InterviewSession
    from operations.services import operation_get_or_create_inflight

    a = args
    sessions = {
        s.pk: s
        for s in InterviewSession.objects.select_related("user").filter(
            pk__in=[sid for sid, _ in data.take_sessions(a.overhead_n)]
        )
    }
    ops = []
    for session in sessions.values():
        op, _created = operation_get_or_create_inflight(
            user=session.user, session=session, operation_type="feedback_analysis"
        )
        ops.append(str(op.id))
        time.sleep(0.02)
    wait_finished(ops, time.monotonic() + a.latency * 3 + 60)
    o = _overhead(stack, ops)
    o["run"] = number
    log(
        f"  overhead, run {number} ({len(ops)} ops): created->claimed p50/p99 {fmt(o['claim_p50_ms'])}/"
        f"{fmt(o['claim_p99_ms'])} ms; model answered->committed p50/p99 {fmt(o['store_p50_ms'])}/"
        f"{fmt(o['store_p99_ms'])} ms"
    )
    return o


def _overhead(stack: Stack, ops: list[str]) -> dict:
    from operations.models import Operation

    answered = stack.model_answered()
    claim, store, store_by_latency = [], [], []
    for op in Operation.objects.filter(pk__in=ops, status="completed"):
        assert op.started_at is not None and op.finished_at is not None  # completed
        claim.append((op.started_at - op.created_at).total_seconds() * 1000)
        t_answer = answered.get(str(op.session_id))
        if t_answer is not None:
            store.append(op.finished_at.timestamp() * 1000 - t_answer * 1000)
        if op.model_latency_ms is not None:
            total = (op.finished_at - op.started_at).total_seconds() * 1000
            store_by_latency.append(total - op.model_latency_ms)
    claim.sort()
    store.sort()
    store_by_latency.sort()
    return {
        "n": len(ops),
        "completed": len(claim),
        "claim_p50_ms": percentile(claim, 0.5),
        "claim_p99_ms": percentile(claim, 0.99),
        "store_p50_ms": percentile(store, 0.5),
        "store_p99_ms": percentile(store, 0.99),
        "pre_and_post_model_p50_ms": percentile(store_by_latency, 0.5),
        "pre_and_post_model_p99_ms": percentile(store_by_latency, 0.99),
        "mean_claim_ms": statistics.fmean(claim) if claim else None,
    }
