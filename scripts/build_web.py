"""Build the reference web client (web/ -> web/dist) when its sources changed: `make run` calls it.

Needs Node.js 20.19+ and npm. Without them it says how to get the client and exits 0: the API
runs regardless. The build is skipped when web/dist/.source-hash matches the sources.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

WEB = Path(__file__).resolve().parent.parent / "web"
DIST = WEB / "dist"
STAMP = DIST / ".source-hash"
SOURCES = [
    "src",
    "index.html",
    "package.json",
    "package-lock.json",
    "vite.config.ts",
    "tsconfig.json",
    "tsconfig.app.json",
    "tsconfig.node.json",
]


def source_hash() -> str:
    digest = hashlib.sha256()
    for name in SOURCES:
        path = WEB / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.exists():
                digest.update(str(file.relative_to(WEB)).encode())
                digest.update(file.read_bytes())
    return digest.hexdigest()


NODE = shutil.which("node")
NPM = shutil.which("npm")


def node_ok() -> bool:
    if NODE is None or NPM is None:
        return False
    run = subprocess.run([NODE, "--version"], capture_output=True, text=True)  # noqa: S603 - fixed argv
    version = run.stdout.strip().lstrip("v")
    major, minor, *_ = (int(part) for part in [*version.split("."), "0", "0"])
    return (major, minor) >= (20, 19)


def main() -> int:
    if not node_ok():
        print(
            "web client: Node.js 20.19+ and npm are not installed, so the browser client is not built; the API "
            "runs anyway. Install Node.js (https://nodejs.org) and run `make run` again, or build it yourself: "
            "cd web && npm ci && npm run build",
            file=sys.stderr,
        )
        return 0
    assert NPM is not None  # node_ok() found it
    wanted = source_hash()
    if STAMP.is_file() and STAMP.read_text().strip() == wanted:
        print("web client: up to date (web/dist)")
        return 0
    installed = WEB / "node_modules" / ".package-lock.json"
    if not installed.is_file() or installed.stat().st_mtime < (WEB / "package-lock.json").stat().st_mtime:
        print("web client: npm ci")
        subprocess.run([NPM, "ci", "--no-audit", "--no-fund"], cwd=WEB, check=True)  # noqa: S603 - fixed argv
    print("web client: npm run build")
    subprocess.run([NPM, "run", "build"], cwd=WEB, check=True)  # noqa: S603 - fixed argv
    STAMP.write_text(wanted + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
