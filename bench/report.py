"""The report: one table of every step, the worker, overhead and waiting figures, and the verdicts
against issue 7's targets; printed, and written to bench/results/latest.md (with the command, the
machine, the commit and the captured SQL) and latest.json (every figure).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

from bench.util import ROOT, fmt, log

# Issue 7's targets on the 2-core development machine.
TARGETS = {
    "post_ratio": 0.70,
    "post_p99_ms_at_32": 50.0,
    "get_ratio": 0.15,
    "get_p99_ms_at_32": 30.0,
    "worker_ratio": 0.90,
    "worker_rss_mb": 512.0,
    "overhead_p99_ms": 50.0,
    "waiters": 1000,
    "wait_p99_ms": 200.0,
}


def log_step(r: dict) -> None:
    """One line on stderr per step, as it ends."""
    p = [r.get(k) for k in ("p50_ms", "p95_ms", "p99_ms")]
    pct = "/".join("-" if v is None else f"{v:.1f}" for v in p)
    extra = " (ran out of sessions)" if r.get("exhausted") else ""
    if "web_cpu_ms" in r:
        extra += (
            f"  CPU/req: web {r['web_cpu_ms']:.1f} ms, PostgreSQL {r['pg_cpu_ms']:.1f} ms, "
            f"load generator {r['client_cpu_ms']:.2f} ms; web processes' shares "
            + "/".join(f"{x * 100:.0f}" for x in r["web_split"])
            + " %"
        )
    extra += f"  [foreign CPU {r['foreign_cpu_pct']:.0f} %]"
    log(
        f"  {r['kind']:<4} {r['server']:<14} {r['endpoint']:<4} c={r['concurrency']:<3} "
        f"{r['throughput']:8.1f} req/s  p50/p95/p99 {pct} ms  errors {r['errors']}{extra}"
    )
    for sample in r.get("error_samples") or []:
        log(f"     error: {sample}")


def machine() -> dict:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_gb = None
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = int(line.split()[1]) / 1024 / 1024
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": round(mem_gb, 1) if mem_gb else None,
        "commit": commit + (" (+ uncommitted changes)" if dirty else ""),
        "python": platform.python_version(),
    }


def render(results: dict, args: argparse.Namespace) -> str:
    m = results["machine"]
    steps = results["steps"]
    raw = {(s["endpoint"], s["concurrency"]): s for s in steps if s["kind"] == "raw"}
    lines = [
        f"Date: {m['date']}; machine: {m['nproc']} cores ({m['cpu']}), {m['ram_gb']} GB RAM; "
        f"commit {m['commit']}; PostgreSQL {results.get('pg_version', '?')}; Python {m['python']}.",
        "",
        "| endpoint | server | clients | req/s | p50 ms | p95 ms | p99 ms | errors | raw limit req/s | of raw "
        "| web CPU ms/req | busiest web process | other load |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    order = {"POST": 0, "GET": 1}
    http_steps = sorted(
        (s for s in steps if s["kind"] == "http"), key=lambda s: (order[s["endpoint"]], s["server"], s["concurrency"])
    )
    path = {"POST": "POST /sessions/{id}/generate-feedback", "GET": "GET /operations/{id}"}
    for s in http_steps:
        r = raw.get((s["endpoint"], s["concurrency"]))
        ratio = f"{s['throughput'] / r['throughput'] * 100:.0f} %" if r and r["throughput"] else "-"
        lines.append(
            f"| {path[s['endpoint']]} | {s['server']} | {s['concurrency']} | {s['throughput']:.0f} | "
            f"{fmt(s['p50_ms'])} | {fmt(s['p95_ms'])} | {fmt(s['p99_ms'])} | {s['errors']} | "
            f"{fmt(r['throughput'], 0) if r else '-'} | {ratio} | {fmt(s.get('web_cpu_ms'))} | "
            f"{s['web_split'][0] * 100:.0f} % | {fmt(s.get('foreign_cpu_pct'), 0)} % |"
        )
    for s in sorted(raw.values(), key=lambda s: (order[s["endpoint"]], s["concurrency"])):
        lines.append(
            f"| raw limit: {s['endpoint']}'s SQL{' + Redis publish' if s['endpoint'] == 'POST' else ''} | "
            f"psycopg (+ redis-py) | {s['concurrency']} | {s['throughput']:.0f} | {fmt(s['p50_ms'])} | "
            f"{fmt(s['p95_ms'])} | {fmt(s['p99_ms'])} | {s['errors']} | | | | | "
            f"{fmt(s.get('foreign_cpu_pct'), 0)} % |"
        )
    lines += [
        "",
        "Closed loops: each client sends its next request when the previous answer arrives (so latency ≈ "
        "clients / throughput). *raw limit*: the same SQL statements, transaction and Redis commands as the "
        "endpoint (captured from a real request), one psycopg connection per client, no framework. *web CPU*: "
        "CPU seconds of the web server's processes per request. *busiest web process*: its share of the web "
        "server's CPU (the kernel hands each keep-alive connection to one process; 100 % means one process served "
        "every client while the other idled). *other load*: CPU used meanwhile by processes "
        "that are not the benchmark's (e.g. another test suite), as a share of the machine: figures taken "
        "under high other load are pessimistic.",
    ]
    w = results.get("worker")
    if w:
        lines += [
            "",
            "| worker | value |",
            "| --- | --- |",
            f"| operations, model latency, threads | {w['n']}, {w['latency_s']:g} s, {w['concurrency']} "
            f"(DB pool {w['pool_max_size']}) |",
            f"| completion throughput | {w['throughput']:.1f} /s over {w['window_s']:.2f} s = "
            f"{w['ratio'] * 100:.0f} % of the ideal {w['ideal']:.0f} /s (concurrency / L) |",
            f"| peak RSS (VmHWM) | {fmt(w['peak_rss_mb'], 0)} MB |",
            f"| worker CPU; model calls in flight at most | {w['worker_cores']:.2f} cores "
            f"({w['worker_cpu_s']:.1f} s); {w['model_max_in_flight']} |",
            f"| other load on the machine meanwhile | {w['foreign_cpu_pct']:.0f} % |",
            f"| completed / failed / unfinished | {w['completed']} / {w['failed']} / {w['unfinished']} "
            f"{w['error_codes'] or ''} |",
            f"| DB pool timeouts, error lines in the worker log | {w['pool_timeouts']}, {w['worker_errors']} |",
        ]
    o = results.get("overhead")
    if o:
        lines += [
            f"| overhead ({o['n']} ops, one per 20 ms): created → claimed p50 / p99 | "
            f"{fmt(o['claim_p50_ms'])} / {fmt(o['claim_p99_ms'])} ms |",
            f"| overhead: model answered → feedback committed p50 / p99 | "
            f"{fmt(o['store_p50_ms'])} / {fmt(o['store_p99_ms'])} ms |",
            f"| (claimed → committed minus model latency, p50 / p99) | "
            f"{fmt(o['pre_and_post_model_p50_ms'])} / {fmt(o['pre_and_post_model_p99_ms'])} ms |",
        ]
    rounds = [r for r in (results.get("waiting"), results.get("waiting_paced")) if r]
    if rounds:

        def row(title: str, cell) -> str:
            return f"| {title} | " + " | ".join(cell(r) for r in rounds) + " |"

        lines += [
            "",
            "| waiting: long-polls `?wait=30` on one uvicorn process | "
            + " | ".join(f"status changes {r['label']}" for r in rounds)
            + " |",
            "| --- |" + " --- |" * len(rounds),
            row("waiters held / got the change", lambda r: f"{r['connected']} / {r['updated']}"),
            row(
                "change committed → client has the answer, p50 / p95 / p99 / max",
                lambda r: f"{fmt(r['p50_ms'])} / {fmt(r['p95_ms'])} / {fmt(r['p99_ms'])} / {fmt(r['max_ms'])} ms",
            ),
            row("time to commit all the changes", lambda r: f"{r['flip_s'] * 1000:.0f} ms"),
            row(
                "web CPU meanwhile (per waiter woken)",
                lambda r: (
                    f"{r['web_cpu_s_after_flip']:.2f} s "
                    f"({r['web_cpu_s_after_flip'] / max(1, r['updated']) * 1000:.1f} ms)"
                ),
            ),
            row("web peak RSS", lambda r: f"{fmt(r['web_peak_rss_mb'], 0)} MB"),
            row("other load on the machine", lambda r: f"{r['foreign_cpu_pct']:.0f} %"),
        ]
    lines += ["", "Targets (issue 7):", "", *[f"- {t}" for t in verdicts(results)]]
    return "\n".join(lines) + "\n"


def verdicts(results: dict) -> list[str]:
    t = TARGETS
    steps = results["steps"]
    raw = {(s["endpoint"], s["concurrency"]): s for s in steps if s["kind"] == "raw"}
    out = []

    def mark(ok: bool) -> str:
        return "**met**" if ok else "**missed**"

    for endpoint, key_ratio, target_p99 in (
        ("POST", "post_ratio", t["post_p99_ms_at_32"]),
        ("GET", "get_ratio", t["get_p99_ms_at_32"]),
    ):
        servers = sorted({s["server"] for s in steps if s["kind"] == "http" and s["endpoint"] == endpoint})
        for server in servers:
            mine = sorted(
                (s for s in steps if s["kind"] == "http" and s["endpoint"] == endpoint and s["server"] == server),
                key=lambda s: s["concurrency"],
            )
            parts = []
            ratios = [
                (s["concurrency"], s["throughput"] / raw[(endpoint, s["concurrency"])]["throughput"])
                for s in mine
                if raw.get((endpoint, s["concurrency"])) and raw[(endpoint, s["concurrency"])]["throughput"]
            ]
            if ratios:
                short = [t[key_ratio] - r for _c, r in ratios if r < t[key_ratio]]
                text = " / ".join(f"{r * 100:.0f}" for _c, r in ratios)
                clients = " / ".join(str(c) for c, _r in ratios)
                parts.append(
                    f"{text} % of the raw limit at {clients} clients (target ≥ {t[key_ratio] * 100:.0f} %): "
                    + (mark(True) if not short else f"{mark(False)} by up to {max(short) * 100:.0f} points")
                )
            at32 = next((s for s in mine if s["concurrency"] == 32), None)
            if at32 and at32["p99_ms"] is not None:
                ok = at32["p99_ms"] <= target_p99
                raw32 = raw.get((endpoint, 32))
                parts.append(
                    f"p99 at 32 clients {at32['p99_ms']:.0f} ms (target ≤ {target_p99:.0f} ms"
                    + (f"; the raw loop's own p99 there: {raw32['p99_ms']:.0f} ms" if raw32 else "")
                    + f"): {mark(ok)}"
                    + ("" if ok else f" by {at32['p99_ms'] - target_p99:.0f} ms")
                )
            if endpoint == "POST":
                errors = sum(s["errors"] for s in mine)
                parts.append(f"{errors} errors (target 0): {mark(errors == 0)}")
            out.append(f"{endpoint} on {server}: " + "; ".join(parts) + ".")
    w = results.get("worker")
    if w:
        ok = w["ratio"] >= t["worker_ratio"]
        rss = w["peak_rss_mb"] or 0
        out.append(
            f"Worker: {w['ratio'] * 100:.0f} % of concurrency / L with {w['concurrency']} analyses in flight "
            f"(target ≥ 90 %): {mark(ok)}"
            + ("" if ok else f" by {(t['worker_ratio'] - w['ratio']) * 100:.0f} points")
            + f"; peak RSS {rss:.0f} MB (target ≤ 512 MB): {mark(rss <= t['worker_rss_mb'])}."
        )
    o = results.get("overhead")
    if o:
        parts = []
        for label, key in (("created → claimed", "claim_p99_ms"), ("model answered → committed", "store_p99_ms")):
            v = o[key]
            ok = v is not None and v <= t["overhead_p99_ms"]
            parts.append(
                f"{label} p99 {fmt(v)} ms: {mark(ok)}"
                + ("" if ok or v is None else f" by {v - t['overhead_p99_ms']:.1f} ms")
            )
        out.append("Overhead (target p99 ≤ 50 ms each, worker not saturated): " + "; ".join(parts) + ".")
    for wt in (results.get("waiting"), results.get("waiting_paced")):
        if not wt:
            continue
        ok = wt["updated"] >= t["waiters"] and wt["p99_ms"] is not None and wt["p99_ms"] <= t["wait_p99_ms"]
        miss = []
        if wt["p99_ms"] is not None and wt["p99_ms"] > t["wait_p99_ms"]:
            miss.append(f"{wt['p99_ms'] - t['wait_p99_ms']:.0f} ms")
        if wt["updated"] < t["waiters"]:
            miss.append(f"{t['waiters'] - wt['updated']} waiters")
        out.append(
            f"Waiting, changes {wt['label']}: {wt['updated']} of {wt['waiters']} waiters on one web process "
            f"notified, p99 {fmt(wt['p99_ms'])} ms (target 1,000 waiters, p99 ≤ 200 ms): {mark(ok)}"
            + ("" if ok else " by " + " and ".join(miss))
            + "."
        )
    return out


def write(results: dict, report: str, output: str) -> None:
    """The markdown file (`output`: the command, the report, what the raw loops replay) and, next
    to it, the JSON file of every figure."""
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    header = (
        "# Benchmark results (`make bench`)\n\n"
        f"`{' '.join(['bench/run.py', *sys.argv[1:]])}` — {results['total_s']:.0f} s in all. "
        f"Web: `{results['config'].get('uvicorn', '')}`"
        + (f", `{results['config']['gunicorn']}`" if "gunicorn" in results["config"] else "")
        + "; settings `config.settings.local` with DEBUG off, log level WARNING, rate limits raised.\n\n"
    )
    captured = results.get("captured", {})
    appendix = (
        "\n<details><summary>What the raw loops replay (captured from one request)</summary>\n\n"
        + "POST SQL:\n\n"
        + "\n".join(
            f"{i + 1}. {'(in transaction) ' if atomic else ''}`{sql}`"
            for i, (sql, atomic) in enumerate(
                zip(captured.get("post_sql", []), captured.get("post_atomic", []), strict=False)
            )
        )
        + "\n\nPOST Redis round trips: "
        + "; ".join(f"`{c}`" for c in captured.get("post_redis", []))
        + "\n\nGET SQL:\n\n"
        + "\n".join(f"{i + 1}. `{sql}`" for i, sql in enumerate(captured.get("get_sql", [])))
        + "\n\n</details>\n"
    )
    out.write_text(header + report + appendix, encoding="utf-8")
    out.with_suffix(".json").write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    log(f"written {out} and {out.with_suffix('.json')} ({results['total_s']:.0f} s)")
