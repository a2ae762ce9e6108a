"""Node-list render time in the admin for 100 and 10,000 nodes, and their ratio.

Run: make bench (or .venv/bin/python bench/admin_list.py). Uses DATABASE_URL when set
(PostgreSQL), else a throwaway SQLite file. Target: ratio <= 1.5 with the same query count.
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

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_test_environment,
)

ROUNDS = 15


def render_times(client, rounds: int) -> tuple[float, int]:
    client.get("/admin/bearman/node/")  # warm caches and templates
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        response = client.get("/admin/bearman/node/")
        samples.append(time.perf_counter() - start)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client.get("/admin/bearman/node/")
    return statistics.median(samples), len(queries.captured_queries)


def fill(count: int, flavor) -> None:
    from bearman.models import Node
    from tests.factories import NodeFactory

    missing = count - Node.objects.count()
    for start in range(0, missing, 2000):
        batch = min(2000, missing - start)
        Node.objects.bulk_create(NodeFactory.build(flavor=flavor) for _ in range(batch))


def main() -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from tests.factories import FlavorFactory

    setup_test_environment()
    settings.STORAGES["staticfiles"] = {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
    }
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        user = get_user_model().objects.create_superuser("bench", "", "bench-Pw-123")
        client = Client()
        client.force_login(user)
        flavor = FlavorFactory()
        results = {}
        for count in (100, 10_000):
            fill(count, flavor)
            results[count] = render_times(client, ROUNDS)
        small, large = results[100], results[10_000]
        print(f"database: {connection.vendor}")
        print(f"100 nodes:    {small[0] * 1000:7.1f} ms per page, {small[1]} queries")
        print(f"10,000 nodes: {large[0] * 1000:7.1f} ms per page, {large[1]} queries")
        print(
            f"ratio 10,000/100: {large[0] / small[0]:.2f} (target <= 1.5), "
            f"same query count: {small[1] == large[1]}"
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
