"""What every part of the benchmark uses: its paths, `log()` (progress on stderr) and `fmt()`."""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
BIN = Path(sys.executable).parent  # the virtualenv's bin (not resolved: bin/python is a symlink)


def log(message: str) -> None:
    sys.stderr.write(f"[bench {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


def fmt(value, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"
