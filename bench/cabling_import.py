"""Server time to import a 1,000-row cabling plan: dry run, import, re-import (all unchanged).

Run: .venv/bin/python bench/cabling_import.py. Uses DATABASE_URL when set (PostgreSQL), else a
throwaway SQLite file. The plan already holds 2,000 other cables, 500 of them on the file's
switches. Each figure is the median of ROUNDS, timed twice: the service call alone, and the
whole request (POST text/csv to /api/v1/cabling/import/ in-process: authentication,
parsing, the service, the JSON answer). Target: each under 2 s (ratio to 2 s below 1);
it exits 1 when missed.
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bearman.settings")
os.environ.setdefault("BEARMAN_VAR_DIR", tempfile.mkdtemp(prefix="bearman-bench-"))

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

ROWS = 1_000
OTHER_CABLES = 2_000
ROUNDS = 5
TARGET_SECONDS = 2.0
PORTS_PER_SWITCH = 48


def plan_csv(rows: int, first_node: int = 0, port_shift: int = 0) -> bytes:
    """Two NICs per node, each NIC on its own leaf of the rack; 48 ports a switch."""
    lines = ["serial,nic,switch,port"]
    for index in range(rows):
        node, nic = divmod(index, 2)
        node += first_node
        rack, slot = divmod(node, PORTS_PER_SWITCH)
        port = (slot + port_shift) % PORTS_PER_SWITCH + 1
        lines.append(f"BENCH{node:06d},eno{nic + 1},leaf-r{rack:03d}-{'ab'[nic]},Ethernet{port}")
    return ("\r\n".join(lines) + "\r\n").encode()


def other_cables() -> None:
    """Cables of other nodes: 500 on the file's switches (ports 49+), the rest elsewhere."""
    from bearman.models import CablingLink

    links = [
        CablingLink(
            serial=f"OTHER{index:06d}",
            nic="eno1",
            switch=f"leaf-r{index % 11:03d}-a" if index < 500 else f"spine-{index // 48}",
            port=f"Ethernet{49 + index}" if index < 500 else f"Ethernet{index % 48 + 1}",
        )
        for index in range(OTHER_CABLES)
    ]
    CablingLink.objects.bulk_create(links, batch_size=1000)


def timed(run, reset=None) -> tuple[float, float]:
    """(median, max) seconds of `run` over ROUNDS, `reset` untimed before each round."""
    samples = []
    for _ in range(ROUNDS):
        if reset:
            reset()
        start = time.perf_counter()
        run()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), max(samples)


def figures(import_plan, data: bytes, changed: bytes) -> dict[str, tuple[float, float]]:
    from bearman.models import CablingLink

    def forget():
        CablingLink.objects.filter(serial__startswith="BENCH").delete()

    def restore():
        forget()
        import_plan(data, dry_run=False)

    forget()
    return {
        "dry run (empty plan)": timed(lambda: import_plan(data, dry_run=True), forget),
        "import (1,000 created)": timed(lambda: import_plan(data, dry_run=False), forget),
        "re-import (all unchanged)": timed(lambda: import_plan(data, dry_run=False)),
        "import (1,000 changed)": timed(lambda: import_plan(changed, dry_run=False), restore),
    }


def main() -> None:
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    from bearman.services.cabling_import import cabling_plan_import

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        other_cables()
        user = get_user_model().objects.create_superuser("bench", "", "bench-Pw-123")
        client = APIClient()
        client.force_authenticate(user)
        data, changed = plan_csv(ROWS), plan_csv(ROWS, port_shift=1)

        def by_service(body, dry_run):
            result = cabling_plan_import(data=body, dry_run=dry_run)
            assert sum(result.counts.values()) == ROWS

        def by_request(body, dry_run):
            url = f"/api/v1/cabling/import/?dry_run={'true' if dry_run else 'false'}"
            response = client.generic("POST", url, body, content_type="text/csv")
            assert response.status_code == 200, response.content[:500]

        print(f"database: {connection.vendor}; {ROWS} rows, {OTHER_CABLES} other cables")
        print(f"{'':28} {'service median / max':>22} {'request median / max':>22}")
        service = figures(by_service, data, changed)
        request = figures(by_request, data, changed)
        worst = 0.0
        for name in service:
            (s_med, s_max), (r_med, r_max) = service[name], request[name]
            worst = max(worst, r_max)
            print(f"{name:28} {s_med:9.3f} / {s_max:.3f} s {r_med:9.3f} / {r_max:.3f} s")
        print(f"slowest request / {TARGET_SECONDS:g} s target: {worst / TARGET_SECONDS:.2f}")
        if worst >= TARGET_SECONDS:
            raise SystemExit(1)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
