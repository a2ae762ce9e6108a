"""The virtual lab against a real Bearman: time to all READY and to all INSTALLED.

Run: .venv/bin/python bench/lab.py (DATABASE_URL=postgres://… for PostgreSQL; a scratch
database or SQLite file per run). Starts Bearman's web, gRPC and worker processes, then
`manage.py lab --nodes N --deploy` for 20 and for 200 nodes, `--rounds` times each
(alternating), and prints every run's times and the ratio 200/20 of the medians
(target <= 3).
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from support import (  # noqa: E402
    free_port,
    on_postgres,
    scratch_postgres,
    tree_cpu_seconds,
    wait_for,
)

BIN = Path(sys.executable).parent


def lab_run(nodes: int, env: dict) -> dict[str, float]:
    """One lab of `nodes` machines on fresh Bearman processes; the seconds to each milestone."""
    web, grpc = free_port(), free_port()
    env = {
        **env,
        "BEARMAN_PUBLIC_URL": f"http://127.0.0.1:{web}",
        "BEARMAN_GRPC_PUBLIC_ADDRESS": f"127.0.0.1:{grpc}",
        "ALLOWED_HOSTS": "127.0.0.1",
        "BEARMAN_BMC_CHECK_DELAY_SECONDS": "2",
        "BEARMAN_POWER_RETRY_SECONDS": "2",
        "BEARMAN_LOG_LEVEL": "WARNING",
        # Every lab machine registers from 127.0.0.1: the limits on new registrations (20
        # per source a minute by default) are raised out of the way, still counted.
        "BEARMAN_REGISTRATION_LIMIT_PER_SOURCE": str(10 * nodes),
        "BEARMAN_REGISTRATION_LIMIT_GLOBAL": str(10 * nodes),
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    commands = [
        [
            str(BIN / "gunicorn"),
            "bearman.wsgi",
            "-c",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{web}",
            "--workers",
            "3",
        ],
        [
            sys.executable,
            "manage.py",
            "run_grpc",
            "--bind",
            f"127.0.0.1:{grpc}",
            "--processes",
            "2",
        ],
        [
            str(BIN / "celery"),
            "-A",
            "bearman",
            "worker",
            "--concurrency",
            "8",
            "--loglevel",
            "WARNING",
        ],
    ]
    log = open(Path(env["BEARMAN_VAR_DIR"]) / "services.log", "w")  # noqa: SIM115
    services = [subprocess.Popen(c, cwd=ROOT, env=env, stdout=log, stderr=log) for c in commands]
    try:
        wait_for(f"http://127.0.0.1:{web}/healthz")
        time.sleep(2)  # the worker and gRPC processes finish starting: not the lab's CPU
        started = [tree_cpu_seconds(service.pid) for service in services]
        output = subprocess.run(
            [
                sys.executable,
                "manage.py",
                "lab",
                "--nodes",
                str(nodes),
                "--deploy",
                "--exit-when-done",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=1800,
            check=True,
        ).stdout
        bearman = [tree_cpu_seconds(s.pid) - cpu for s, cpu in zip(services, started, strict=True)]
    finally:
        for service in services:
            service.terminate()
        for service in services:
            service.wait(timeout=30)
        log.close()
    lab_cpu = re.search(r"CPU: the lab ([\d.]+) s, its machines .* ([\d.]+) s", output)
    return {
        "ready": float(re.search(r"nodes READY after ([\d.]+) s", output).group(1)),
        "installed": float(re.search(r"deployments INSTALLED after ([\d.]+) s", output).group(1)),
        "cpu": dict(
            zip(("web", "gRPC", "worker"), bearman, strict=True),
            lab=float(lab_cpu.group(1)),
            machines=float(lab_cpu.group(2)),
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="runs of each size (default: 3)")
    rounds = parser.parse_args().rounds
    results = {20: [], 200: []}
    # Alternating sizes: a slow minute on a shared machine weighs on both alike.
    for _ in range(rounds):
        for nodes in results:
            with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="bearman-lab-") as var:
                env = {**os.environ, "BEARMAN_VAR_DIR": var}
                if on_postgres():
                    env["DATABASE_URL"] = stack.enter_context(scratch_postgres("bearman_bench_lab"))
                result = lab_run(nodes, env)
            results[nodes].append(result)
            cpu = result["cpu"]
            parts = ", ".join(f"{part} {seconds:.1f}" for part, seconds in cpu.items())
            print(
                f"{nodes:4d} nodes: all READY after {result['ready']:6.1f} s, "
                f"all INSTALLED after {result['installed']:6.1f} s; CPU s: {parts}; "
                f"{1000 * sum(cpu.values()) / nodes:.0f} ms a node",
                flush=True,
            )
    for milestone in ("ready", "installed"):
        small, large = (median(r[milestone] for r in results[n]) for n in (20, 200))
        print(
            f"median to all {milestone.upper()}: 20 nodes {small:.1f} s, 200 nodes {large:.1f} s; "
            f"ratio 200/20 {large / small:.2f} (target <= 3)"
        )


if __name__ == "__main__":
    main()
