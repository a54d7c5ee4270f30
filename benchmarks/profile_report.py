"""Summarise py-spy's collapsed stacks (``--format raw``): the functions and
the project's frames where samples land, most first.

    .venv/bin/python -m benchmarks.profile_report FILE [--top N] [--match TEXT]
"""

from __future__ import annotations

import argparse
import collections
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--match", default="", help="only stacks containing this")
    args = parser.parse_args()
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in args.file.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or (args.match and args.match not in stack):
            continue
        samples = int(count)
        total += samples
        frames = stack.split(";")
        own[frames[-1]] += samples
        for frame in set(frames):
            inclusive[frame] += samples
    print(f"{total} samples\n\nself:")
    for frame, samples in own.most_common(args.top):
        print(f"{samples / total:6.1%}  {frame}")
    print("\ninclusive, project frames:")
    ours = [
        (f, n)
        for f, n in inclusive.most_common()
        if any(p in f for p in ("resolvers/", "schema/", "rest_compat/", "harvest/"))
        and "site-packages" not in f
    ]
    for frame, samples in ours[: args.top]:
        print(f"{samples / total:6.1%}  {frame}")


if __name__ == "__main__":
    main()
