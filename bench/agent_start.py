"""Start-up time of `bearman-cli --help` and `bearman-cli facts` against bare `python -c pass`.

Run: .venv/bin/python bench/agent_start.py [--runs N]   (or make bench)
Medians over N runs of fresh processes with the same interpreter. Target: --help <= 3x bare
Python (the agent imports gRPC and its tools only when a command needs them).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
TARGET = 3.0


def median_seconds(argv: list[str], runs: int) -> float:
    """Median wall time of argv over runs, after one warm-up run (page cache, pyc files)."""
    subprocess.run(argv, capture_output=True, check=False)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=False)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> int:
    """Print the three medians and the ratios; exit 1 when --help misses its target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    cli = str(BIN / "bearman-cli")
    bare = median_seconds([sys.executable, "-c", "pass"], runs)
    help_time = median_seconds([cli, "--help"], runs)
    facts = median_seconds([cli, "facts"], max(runs // 3, 5))
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, {runs} runs")
    print(f"python -c pass        {bare * 1000:7.1f} ms")
    print(f"bearman-cli --help    {help_time * 1000:7.1f} ms   ratio {help_time / bare:4.2f}x")
    print(f"bearman-cli facts     {facts * 1000:7.1f} ms   ratio {facts / bare:4.2f}x")
    verdict = "meets" if help_time / bare <= TARGET else "MISSES"
    print(f"--help {verdict} the target of {TARGET:g}x bare Python start")
    return 0 if verdict == "meets" else 1


if __name__ == "__main__":
    sys.exit(main())
