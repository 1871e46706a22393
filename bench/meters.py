"""What the benchmark measures besides the load generator's latencies: CPU and memory from /proc.

`CpuMeter`: CPU per kind of process over a step (the web server, PostgreSQL's backends on the
bench's database, the bench's own, *foreign* ones: the noise). `Profiler`: py-spy on a process
(--profile-dir). `cpu_seconds`, `group_cpu_seconds`, `vm_hwm_mb` (peak RSS), `group_vm_hwm_mb`,
`first_child`, `wait_idle`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.util import BIN, log

if TYPE_CHECKING:
    from bench.stack import Stack


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children that were waited for (clock ticks -> s)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(pgid: int) -> float:
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid:  # field 5: pgrp
                total += sum(int(x) for x in fields[11:13]) / os.sysconf("SC_CLK_TCK")
    return total


def vm_hwm_mb(pid: int) -> float | None:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def group_vm_hwm_mb(pgid: int) -> float:
    """Peak RSS (VmHWM) summed over every process of a group: a process and its children."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[2]) == pgid:
                total += vm_hwm_mb(int(entry.name)) or 0.0
    return total


def first_child(pid: int) -> int | None:
    """The first child of a process (uvicorn's worker process under its supervisor)."""
    with contextlib.suppress(OSError):
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        if children:
            return int(children[0])
    return None


def wait_idle(pgid: int, *, quiet_s: float = 1.0, timeout: float = 30.0) -> None:
    """Until the process group used (almost) no CPU for ``quiet_s`` seconds."""
    deadline = time.monotonic() + timeout
    last, quiet_since = group_cpu_seconds(pgid), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now_cpu = group_cpu_seconds(pgid)
        if now_cpu - last > 0.01:  # > 5 % of a core over 200 ms
            quiet_since = time.monotonic()
        last = now_cpu
        if time.monotonic() - quiet_since >= quiet_s:
            return
    log("WARNING: the web process did not go idle")


class CpuMeter:
    """CPU seconds used during a step by the web server under test, by PostgreSQL's backends
    on the benchmark's database, and by *foreign* processes (neither the benchmark's nor
    PostgreSQL's/Redis's shared ones: e.g. someone's test suite) - the noise on the figures."""

    def __init__(self, db_name: str, ours: Callable[[], set[int]], web_pgid: int | None = None) -> None:
        self.db_marker = f" {db_name} "
        self.ours = ours  # the process groups of the benchmark's own processes (Stack.process_groups)
        self.web_pgid = web_pgid
        self.before = self._snapshot()
        self.t0 = time.monotonic()

    def _snapshot(self) -> dict[int, tuple[str, float]]:
        ours = self.ours()
        tick = os.sysconf("SC_CLK_TCK")
        snap = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            cpu = (int(fields[11]) + int(fields[12])) / tick
            pgid = int(fields[2])
            if self.web_pgid is not None and pgid == self.web_pgid:
                kind = "web"
            elif pgid in ours:
                kind = "ours"
            elif cmd.startswith("postgres:"):
                kind = (
                    "pg"
                    if self.db_marker in cmd
                    else ("foreign" if "127.0.0.1(" in cmd or "[local]" in cmd else "shared")
                )
            elif not cmd or cmd.startswith(("redis-server", "/usr/bin/redis-server")):
                kind = "shared"
            else:
                kind = "foreign"
            snap[int(entry.name)] = (kind, cpu)
        return snap

    def stop(self) -> dict[str, Any]:
        after = self._snapshot()
        wall = time.monotonic() - self.t0
        used: dict = {"wall": wall, "web_by_pid": {}}
        for pid, (kind, cpu) in after.items():
            before = self.before.get(pid)
            delta = cpu - (before[1] if before and before[0] == kind else 0.0)
            used[kind] = used.get(kind, 0.0) + delta
            if kind == "web" and delta > 0.05:
                used["web_by_pid"][pid] = delta
        used["foreign_pct"] = used.get("foreign", 0.0) / (wall * (os.cpu_count() or 1)) * 100
        return used


class Profiler:
    """py-spy (CPU: samples of threads holding the GIL) on a process and its children, from
    construction to stop(); only with --profile-dir and py-spy in the virtualenv."""

    def __init__(self, stack: Stack, directory: str, name: str, pid: int) -> None:
        self.proc = None
        spy = BIN / "py-spy"
        if not directory or not spy.exists():
            return
        Path(directory).mkdir(parents=True, exist_ok=True)
        argv = [str(spy), "record", "--nonblocking", "--gil", "--subprocesses", "-r", "100", "-f", "raw"]
        argv += ["-o", str(Path(directory) / f"{name}.txt"), "--pid", str(pid)]
        self.proc = stack.start(f"py-spy-{name}", argv, dict(os.environ))

    def stop(self) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.proc.proc.send_signal(signal.SIGINT)  # py-spy writes its file on Ctrl-C
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.proc.wait(30)
        self.proc.stop()
