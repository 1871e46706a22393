"""The report: one table of every step, the old app's figures side by side, the worker, overhead
and waiting figures, and every target of issue 15 as measured / target / met or missed; printed,
and written to bench/results/latest.md (with the command, the machine, the commit and the
captured SQL) and latest.json (every figure).
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

from bench.endpoints import ENDPOINTS
from bench.util import ROOT, fmt, log

# Issue 15's targets ("Speed, round two") on one host of the 2-core development machine's size,
# judged on production's topology: the uvicorn rows.
TARGETS = {
    "post_ratio": 0.40,  # of the raw limit at 32 clients: generate-feedback and generate-question
    "post_ratio_moonshot": 0.70,
    "post_p99_vs_raw": 2.0,  # p99 at most this many times the raw loop's, at the same clients
    "get_ratio": 0.25,
    "get_p99_ms": 100.0,
    "dashboard_p99_ms": 50.0,  # at DASHBOARD_P99_CLIENTS clients, users with 2,000 sessions
    "worker_ratio": 0.90,
    "worker_cpu_ms": 10.0,  # per analysis
    "worker_rss_mb": 512.0,  # every worker process together
    "overhead_p99_ms": 50.0,  # both intervals, in both runs
    "waiters": 1000,
    "wait_p99_ms": 200.0,
    "vs_old_get": 2.0,  # times the old app's throughput (the upper end of its range)
    "vs_old_post": 10.0,
}
CLIENTS = 32  # the client count the POST and GET targets are judged at
DASHBOARD_P99_CLIENTS = 8  # ... but the dashboard's p99 at 8
# The app this one replaces (its FastAPI back end), measured by hand by the author (same
# machine class, wrk, 2 uvicorn workers): req/s ranges by (endpoint, clients); None: not stated.
OLD_APP = {("operation", 8): (850, 907), ("operation", 32): (673, 731), ("feedback", None): (19, 19)}
OLD_APP_SOURCE = "their figures: measured by hand, issue 15, not in this run"
ORDER = {key: i for i, key in enumerate(("feedback", "question", "operation", "dashboard"))}


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
        f"  {r['kind']:<4} {r['server']:<14} {r['endpoint']:<9} c={r['concurrency']:<3} "
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
    lines = [
        f"Date: {m['date']}; machine: {m['nproc']} cores ({m['cpu']}), {m['ram_gb']} GB RAM; "
        f"commit {m['commit']}; PostgreSQL {results.get('pg_version', '?')}; Python {m['python']}.",
        "",
        *_steps_table(results["steps"], args),
        *_old_app_table(results["steps"]),
        *_worker_table(results.get("worker"), results.get("overhead") or []),
        *_waiting_table(results.get("waiting") or []),
        "",
        "Targets (issue 15; judged on the uvicorn rows, production's topology):",
        "",
    ]
    if args.quick:
        lines += [
            f"*Quick run (--quick): shorter steps, N = {args.n}, L = {args.latency:g} s, {args.waiters} waiters: "
            "indicative only, not the issue's conditions.*",
            "",
        ]
    lines += [f"- {t}" for t in verdicts(results)]
    return "\n".join(lines) + "\n"


def _label(key: str, args: argparse.Namespace) -> str:
    label = ENDPOINTS[key].label
    return f"{label} ({args.dashboard_sessions:,} sessions)" if key == "dashboard" else label


def _steps_table(steps: list[dict], args: argparse.Namespace) -> list[str]:
    raw = {(s["endpoint"], s["concurrency"]): s for s in steps if s["kind"] == "raw"}
    lines = [
        "| endpoint | server | clients | req/s | p50 ms | p95 ms | p99 ms | errors | raw limit req/s | of raw "
        "| web CPU ms/req | busiest web process | other load |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    http = sorted(
        (s for s in steps if s["kind"] == "http"), key=lambda s: (ORDER[s["endpoint"]], s["server"], s["concurrency"])
    )
    for s in http:
        r = raw.get((s["endpoint"], s["concurrency"]))
        ratio = f"{s['throughput'] / r['throughput'] * 100:.0f} %" if r and r["throughput"] else "-"
        lines.append(
            f"| {_label(s['endpoint'], args)} | {s['server']} | {s['concurrency']} | {s['throughput']:.0f} | "
            f"{fmt(s['p50_ms'])} | {fmt(s['p95_ms'])} | {fmt(s['p99_ms'])} | {s['errors']} | "
            f"{fmt(r['throughput'], 0) if r else '-'} | {ratio} | {fmt(s.get('web_cpu_ms'))} | "
            f"{s['web_split'][0] * 100:.0f} % | {fmt(s.get('foreign_cpu_pct'), 0)} % |"
        )
    for s in sorted(raw.values(), key=lambda s: (ORDER[s["endpoint"]], s["concurrency"])):
        lines.append(
            f"| raw limit: {_label(s['endpoint'], args)} | psycopg + redis-py | {s['concurrency']} | "
            f"{s['throughput']:.0f} | {fmt(s['p50_ms'])} | {fmt(s['p95_ms'])} | {fmt(s['p99_ms'])} | "
            f"{s['errors']} | | | | | {fmt(s.get('foreign_cpu_pct'), 0)} % |"
        )
    return [
        *lines,
        "",
        "Closed loops: each client sends its next request when the previous answer arrives (so latency ≈ "
        "clients / throughput). Each POST uses a fresh session (generate-feedback a completed one, "
        "generate-question an active one with one answered question). *raw limit*: the same SQL statements, "
        "transactions and Redis commands (the cached user, the throttles' counters, the Celery publish) as the "
        "endpoint (captured from a real request), one psycopg connection and one Redis connection per db per "
        "client, no framework. *web CPU*: CPU seconds of the web server's processes per request. *busiest web "
        "process*: its share of the web server's CPU (the kernel hands each keep-alive connection to one "
        "process; 100 % means one process served every client while the other idled). *other load*: CPU used "
        "meanwhile by processes that are not the benchmark's (e.g. another test suite), as a share of the "
        "machine: figures taken under high other load are pessimistic.",
    ]


def _old_app(steps: list[dict]) -> list[tuple[str, int, dict, tuple[int, int]]]:
    """(endpoint, clients, our uvicorn step, their range) for every figure of the old app's: at
    their client count, or at each of ours where they did not state theirs."""
    rows = []
    for (key, clients), theirs in OLD_APP.items():
        for s in _uvicorn(steps, key):
            if clients is None or s["concurrency"] == clients:
                rows.append((key, s["concurrency"], s, theirs))
    return rows


def _old_app_table(steps: list[dict]) -> list[str]:
    rows = _old_app(steps)
    if not rows:
        return []
    lines = [
        "",
        f"| side by side with the app this replaces | clients | ours req/s (uvicorn) | theirs req/s ({OLD_APP_SOURCE}) "
        "| ours / their upper end | target |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key, clients, s, (low, high) in rows:
        target = TARGETS["vs_old_get" if ENDPOINTS[key].method == "GET" else "vs_old_post"]
        stated = "" if (key, clients) in OLD_APP else " (theirs: not stated)"
        theirs = f"{low}" if low == high else f"{low}–{high}"
        lines.append(
            f"| {ENDPOINTS[key].label} | {clients}{stated} | {s['throughput']:.0f} | {theirs} | "
            f"{s['throughput'] / high:.2f}× | ≥ {target:g}× |"
        )
    return lines


def _worker_table(w: dict | None, overhead: list[dict]) -> list[str]:
    lines = []
    if w:
        lines += [
            "",
            "| worker | value |",
            "| --- | --- |",
            f"| operations, model latency, threads in all | {w['n']}, {w['latency_s']:g} s, {w['concurrency']} "
            f"(DB pool {w['pool_max_size']} in all) |",
            f"| worker processes | {w['processes']} |",
            f"| completion throughput | {w['throughput']:.1f} /s over {w['window_s']:.2f} s = "
            f"{w['ratio'] * 100:.0f} % of the ideal {w['ideal']:.0f} /s (concurrency / L) |",
            f"| peak RSS (VmHWM), every worker process together | {fmt(w['peak_rss_mb'], 0)} MB |",
            f"| worker CPU; per analysis | {w['worker_cores']:.2f} cores ({w['worker_cpu_s']:.1f} s); "
            f"{fmt(w['cpu_ms_per_analysis'])} ms (CPU seconds / completed) |",
            f"| model calls in flight at most | {w['model_max_in_flight']} |",
            f"| other load on the machine meanwhile | {w['foreign_cpu_pct']:.0f} % |",
            f"| completed / failed / unfinished | {w['completed']} / {w['failed']} / {w['unfinished']} "
            f"{w['error_codes'] or ''} |",
            f"| DB pool timeouts, error lines in the workers' logs | {w['pool_timeouts']}, {w['worker_errors']} |",
        ]
    for o in overhead:
        lines += [
            f"| overhead run {o['run']} ({o['n']} ops, one per 20 ms): created → claimed p50 / p99 | "
            f"{fmt(o['claim_p50_ms'])} / {fmt(o['claim_p99_ms'])} ms |",
            f"| overhead run {o['run']}: model answered → feedback committed p50 / p99 | "
            f"{fmt(o['store_p50_ms'])} / {fmt(o['store_p99_ms'])} ms |",
            f"| overhead run {o['run']}: claimed → committed minus model latency, p50 / p99 | "
            f"{fmt(o['pre_and_post_model_p50_ms'])} / {fmt(o['pre_and_post_model_p99_ms'])} ms |",
        ]
    return lines


def _waiting_table(rounds: list[dict]) -> list[str]:
    if not rounds:
        return []

    def row(title: str, cell) -> str:
        return f"| {title} | " + " | ".join(cell(r) for r in rounds) + " |"

    return [
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
                f"{r['web_cpu_s_after_flip']:.2f} s ({r['web_cpu_s_after_flip'] / max(1, r['updated']) * 1000:.1f} ms)"
            ),
        ),
        row("web peak RSS", lambda r: f"{fmt(r['web_peak_rss_mb'], 0)} MB"),
        row("other load on the machine", lambda r: f"{r['foreign_cpu_pct']:.0f} %"),
    ]


# The verdicts ------------------------------------------------------------------------------


def _uvicorn(steps: list[dict], key: str) -> list[dict]:
    """The endpoint's HTTP steps on uvicorn (production's topology), by client count."""
    mine = (s for s in steps if s["kind"] == "http" and s["endpoint"] == key and s["server"].startswith("uvicorn"))
    return sorted(mine, key=lambda s: s["concurrency"])


def _at(steps: list[dict], key: str, clients: int, kind: str = "http") -> dict | None:
    candidates = _uvicorn(steps, key) if kind == "http" else [s for s in steps if s["kind"] == "raw"]
    return next((s for s in candidates if s["endpoint"] == key and s["concurrency"] == clients), None)


def _target(what: str, measured: str, target: str, ok: bool | None, short: str = "") -> str:
    """One target: measured / target / **met** or **missed** (by how much)."""
    if ok is None:
        verdict = "**not measured**"
    else:
        verdict = "**met**" if ok else "**missed**" + (f" by {short}" if short else "")
    return f"{what}: {measured} — target {target}: {verdict}"


def verdicts(results: dict) -> list[str]:
    steps = results["steps"]
    return [
        *_http_verdicts(steps, results["args"]["dashboard_sessions"]),
        *_worker_verdicts(results.get("worker"), results.get("overhead") or []),
        *_waiting_verdicts(results.get("waiting") or []),
        *_old_app_verdicts(steps),
    ]


def _http_verdicts(steps: list[dict], dashboard_sessions: int) -> list[str]:
    """Per endpoint: its share of the raw limit at 32 clients, its p99 (POSTs: against their raw
    loop's at 32; GET operation: at 32; the dashboard: at 8), and the POSTs' errors."""
    t = TARGETS
    out = []
    for key in ORDER:
        label = ENDPOINTS[key].label + (f" (users with {dashboard_sessions:,} sessions)" if key == "dashboard" else "")
        post = ENDPOINTS[key].method == "POST"
        s, r = _at(steps, key, CLIENTS), _at(steps, key, CLIENTS, kind="raw")
        floors = [("post_ratio", ""), ("post_ratio_moonshot", " (moonshot)")] if post else [("get_ratio", "")]
        for name, note in floors:
            what, target = f"{label}, share of the raw limit at {CLIENTS} clients{note}", f"≥ {t[name] * 100:.0f} %"
            if s is None or r is None or not r["throughput"]:
                out.append(_target(what, "-", target, None))
                continue
            ratio = s["throughput"] / r["throughput"]
            out.append(
                _target(
                    what,
                    f"{ratio * 100:.0f} % ({s['throughput']:.0f} of {r['throughput']:.0f} req/s)",
                    target,
                    ratio >= t[name],
                    f"{(t[name] - ratio) * 100:.0f} points",
                )
            )
        if post:
            what = f"{label}, p99 at {CLIENTS} clients"
            if r is None or r["p99_ms"] is None:
                out.append(_target(what, "-", f"≤ {t['post_p99_vs_raw']:g}× the raw loop's p99", None))
            else:
                limit = t["post_p99_vs_raw"] * r["p99_ms"]
                target = f"≤ {t['post_p99_vs_raw']:g}× the raw loop's p99 ({r['p99_ms']:.1f} ms) = {limit:.0f} ms"
                out.append(_latency(what, s, limit, target, errors=False))
            mine = _uvicorn(steps, key)
            errors = sum(m["errors"] for m in mine)
            at = f"{' / '.join(str(m['errors']) for m in mine)} at {' / '.join(str(m['concurrency']) for m in mine)}"
            out.append(_target(f"{label}, errors", f"{errors} ({at} clients)", "0", errors == 0, str(errors)))
        else:
            clients, limit = (
                (DASHBOARD_P99_CLIENTS, t["dashboard_p99_ms"]) if key == "dashboard" else (CLIENTS, t["get_p99_ms"])
            )
            what = f"{label}, p99 at {clients} clients"
            out.append(_latency(what, _at(steps, key, clients), limit, f"≤ {limit:.0f} ms", errors=True))
    return out


def _latency(what: str, s: dict | None, limit: float, target: str, *, errors: bool) -> str:
    """A p99 target; with `errors`, also no errors (an endpoint that fails meets no latency target)."""
    if not s or s["p99_ms"] is None:
        return _target(what, "-", target, None)
    p99 = s["p99_ms"]
    short = [f"{p99 - limit:.0f} ms"] if p99 > limit else []
    if errors and s["errors"]:
        short.append(f"{s['errors']} errors")
    measured = f"{p99:.0f} ms" + (f", {s['errors']} errors" if errors else "")
    return _target(what, measured, target + (", no errors" if errors else ""), not short, " and ".join(short))


def _worker_verdicts(w: dict | None, overhead: list[dict]) -> list[str]:
    t = TARGETS
    out = []
    if w:
        out += [
            _target(
                "Worker throughput",
                f"{w['ratio'] * 100:.0f} % of concurrency / L ({w['throughput']:.1f} of {w['ideal']:.0f} /s; "
                f"{w['concurrency']} analyses in flight, L = {w['latency_s']:g} s, {w['processes']} processes)",
                f"≥ {t['worker_ratio'] * 100:.0f} %",
                w["ratio"] >= t["worker_ratio"],
                f"{(t['worker_ratio'] - w['ratio']) * 100:.0f} points",
            ),
            _target(
                "Worker CPU per analysis",
                f"{fmt(w['cpu_ms_per_analysis'])} ms",
                f"≤ {t['worker_cpu_ms']:.0f} ms",
                None if w["cpu_ms_per_analysis"] is None else w["cpu_ms_per_analysis"] <= t["worker_cpu_ms"],
                f"{(w['cpu_ms_per_analysis'] or 0) - t['worker_cpu_ms']:.1f} ms",
            ),
            _target(
                "Worker peak RSS, every worker process together",
                f"{fmt(w['peak_rss_mb'], 0)} MB ({w['processes']} processes)",
                f"≤ {t['worker_rss_mb']:.0f} MB",
                w["peak_rss_mb"] <= t["worker_rss_mb"],
                f"{w['peak_rss_mb'] - t['worker_rss_mb']:.0f} MB",
            ),
        ]
    for name, key in (("created → claimed", "claim_p99_ms"), ("model answered → committed", "store_p99_ms")):
        values = [o[key] for o in overhead]
        if not values:
            continue
        worst = max((v for v in values if v is not None), default=None)
        limit = t["overhead_p99_ms"]
        out.append(
            _target(
                f"Overhead {name}, p99",
                " / ".join(f"{fmt(v)} ms" for v in values) + f" (runs {' / '.join(str(o['run']) for o in overhead)})",
                f"≤ {limit:.0f} ms in each of {len(overhead)} runs",
                None if None in values or worst is None else worst <= limit,
                f"{worst - limit:.1f} ms" if worst is not None else "",
            )
        )
    return out


def _waiting_verdicts(rounds: list[dict]) -> list[str]:
    t = TARGETS
    burst = next((r for r in rounds if r["key"] == "burst"), None)
    if burst is None:
        return []
    p99 = burst["p99_ms"]
    ok = burst["updated"] >= t["waiters"] and p99 is not None and p99 <= t["wait_p99_ms"]
    short = []
    if p99 is not None and p99 > t["wait_p99_ms"]:
        short.append(f"{p99 - t['wait_p99_ms']:.0f} ms")
    if burst["updated"] < t["waiters"]:
        short.append(f"{t['waiters'] - burst['updated']} waiters")
    return [
        _target(
            "Waiting, a burst of changes on one web process",
            f"{burst['updated']} of {burst['waiters']} waiters notified, their {burst['waiters']} changes "
            f"committed {burst['label']} (took {burst['flip_s']:.2f} s), p99 {fmt(p99)} ms",
            f"{t['waiters']:,} waiters, 1,000 changes within 2 s, p99 ≤ {t['wait_p99_ms']:.0f} ms",
            ok,
            " and ".join(short),
        )
    ]


def _old_app_verdicts(steps: list[dict]) -> list[str]:
    out = []
    for (key, clients), (low, high) in OLD_APP.items():
        target = TARGETS["vs_old_get" if ENDPOINTS[key].method == "GET" else "vs_old_post"]
        mine = [s for s in _uvicorn(steps, key) if clients is None or s["concurrency"] == clients]
        if not mine:
            continue
        # Their client count not stated: our lowest figure at any count (the conservative comparison).
        s = min(mine, key=lambda m: m["throughput"])
        ratio = s["throughput"] / high
        where = (
            f"at {clients} clients" if clients else f"at {s['concurrency']} clients, our lowest (theirs: not stated)"
        )
        theirs = f"{high} req/s" + (f", the upper end of {low}–{high}" if low != high else "")
        out.append(
            _target(
                f"Against the old app, {ENDPOINTS[key].label} {where}",
                f"{ratio:.2f}× ({s['throughput']:.0f} req/s against their {theirs}; {OLD_APP_SOURCE})",
                f"≥ {target:g}×",
                ratio >= target,
                f"{target - ratio:.2f}×",
            )
        )
    return out


def write(results: dict, report: str, output: str) -> None:
    """The markdown file (`output`: the command, the report, what the raw loops replay) and, next
    to it, the JSON file of every figure."""
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    config = results["config"]
    header = (
        "# Benchmark results (`make bench`)\n\n"
        f"`{' '.join(['bench/run.py', *sys.argv[1:]])}` — {results['total_s']:.0f} s in all. "
        f"Web: `{config.get('uvicorn', '')}` (WEB_THREADS={config.get('WEB_THREADS', '?')})"
        + (f", `{config['gunicorn']}`" if "gunicorn" in config else "")
        + "; settings `config.settings.local` with DEBUG off, log level WARNING, rate limits raised, "
        "the cache on Redis (CACHE_URL) as in production.\n\n"
    )
    appendix = ["", "<details><summary>What the raw loops replay (captured from one request each)</summary>", ""]
    for key, captured in results.get("captured", {}).items():
        appendix += [f"{ENDPOINTS[key].label}, SQL:", ""]
        appendix += [
            f"{i + 1}. {'(in transaction) ' if atomic else ''}`{sql}`"
            for i, (sql, atomic) in enumerate(zip(captured["sql"], captured["atomic"], strict=True))
        ]
        appendix += ["", "Redis round trips: " + ("; ".join(f"`{c}`" for c in captured["redis"]) or "none"), ""]
    appendix += ["</details>", ""]
    out.write_text(header + report + "\n".join(appendix), encoding="utf-8")
    out.with_suffix(".json").write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    log(f"written {out} and {out.with_suffix('.json')} ({results['total_s']:.0f} s)")
