"""Summarise a py-spy raw profile (``make bench BENCH_PROFILE_DIR=...``): where the CPU goes.

``python bench/profile_summary.py FILE [--root FRAME] [--top N]`` prints, for the samples whose
stack contains ``FRAME`` (default: all), each function's share of samples including what it
calls (inclusive) and by itself (self). The profiles hold samples of threads holding the GIL,
so shares are shares of the process's Python CPU.
"""

from __future__ import annotations

import argparse
import collections
import re
from pathlib import Path

LINE = re.compile(r":\d+\)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--root", default="", help="only stacks through this frame (substring), counted from it")
    parser.add_argument("--top", type=int, default=60)
    args = parser.parse_args()

    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = everything = 0
    for line in Path(args.file).read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        everything += n
        frames = [LINE.sub(")", f) for f in stack.split(";") if not f.startswith("process ")]
        start = next((i for i, f in enumerate(frames) if args.root in f), None)
        if start is None or not frames:
            continue
        frames = frames[start:]
        total += n
        for frame in set(frames):
            inclusive[frame] += n
        own[frames[-1]] += n
    if not total:
        print("no samples")
        return
    print(f"{total} samples (of {everything}) through {args.root or 'anything'}\n\ninclusive:")
    for frame, n in inclusive.most_common(args.top):
        print(f"{n / total * 100:5.1f} %  {frame}")
    print("\nself:")
    for frame, n in own.most_common(min(args.top, 25)):
        print(f"{n / total * 100:5.1f} %  {frame}")


if __name__ == "__main__":
    main()
