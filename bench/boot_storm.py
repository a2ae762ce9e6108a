"""Boot storm: /ipxe/<uuid> under 64 concurrent clients with 10,000 registered nodes.

Run: .venv/bin/python bench/boot_storm.py  (DATABASE_URL=postgres://… for PostgreSQL;
a scratch database or SQLite file is made and removed). Needs wrk and nginx
(apt-get install wrk nginx-light). Prints requests/s and p99 for:
  embedded    Bearman alone (gunicorn, the embedded default: scripts rendered per request)
  bare        a bare Django view (/healthz) on that same server        -> ratio, target >= 0.5
  production  nginx serving rendered files, falling back to Bearman
  static      nginx serving the same files as plain static files       -> ratio, target >= 0.8
and the download rate of a 256 MiB artifact through Bearman alone, through the
production path (X-Accel-Redirect) and as an nginx static file     -> ratio, target >= 0.9.
"""

import argparse
import os
import re
import shutil
import string
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The repository first: bench/lab.py must not hide the `lab` package from Django's settings.
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from support import free_port, on_postgres, scratch_postgres, wait_for  # noqa: E402

VENV_BIN = Path(sys.executable).parent

WRK_SCRIPT = """
local uuids = {}
for line in io.lines(os.getenv("BENCH_UUIDS")) do uuids[#uuids + 1] = line end
local prefix, suffix = os.getenv("BENCH_PREFIX"), os.getenv("BENCH_SUFFIX")
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
request = function()
  local path = prefix .. uuids[math.random(#uuids)] .. suffix
  return wrk.format("GET", path, {["User-Agent"] = "iPXE/1.21.1"})
end
"""

NGINX_MAIN = """
worker_processes 2;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    sendfile on;
    keepalive_requests 100000;
    include {tmp}/bearman.conf;
    server {{
        listen 127.0.0.1:{static_port};
        location /ipxe/ {{ alias {ipxe_dir}/; default_type text/plain; }}
        location /files/ {{ alias {artifacts_dir}/; }}
    }}
}}
"""


def populate(nodes: int, artifact_mib: int, uuid_file: Path) -> None:
    """10,000 nodes in a realistic mix, their rendered scripts and one large artifact."""
    import django

    django.setup()
    from django.core.management import call_command

    from bearman.models import Baremetal, Node
    from bearman.services import artifact_store
    from bearman.services.boot_files import ipxe_render_nodes
    from bearman.states import NodeStatus
    from tests.factories import NodeFactory, ProfileFactory

    call_command("migrate", verbosity=0)
    statuses = [NodeStatus.READY, NodeStatus.READY, NodeStatus.REGISTERED, NodeStatus.ERROR]
    built = [NodeFactory.build(status=statuses[i % 4]) for i in range(nodes)]
    Node.objects.bulk_create(built, batch_size=2000)
    profile = ProfileFactory()
    deploying = Node.objects.filter(status=NodeStatus.READY)[: nodes // 10]
    Baremetal.objects.bulk_create(
        Baremetal(node=node, profile=profile, hostname=f"n{node.pk}.bench.test")
        for node in deploying
    )
    uuids = list(Node.objects.values_list("uuid", flat=True))
    ipxe_render_nodes(uuids=uuids)
    uuid_file.write_text("\n".join(uuids) + "\n")
    block = os.urandom(1024 * 1024)
    artifact_store(name="bench-artifact", chunks=(block for _ in range(artifact_mib)))


def start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT
    )


def gunicorn(port: int, env: dict, log: Path) -> subprocess.Popen:
    return start(
        [
            str(VENV_BIN / "gunicorn"),
            "bearman.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "3",
            "--keep-alive",
            "30",
        ],
        env,
        log,
    )


def to_ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, prefix: str, suffix: str, args, tmp: Path) -> dict:
    script = tmp / "storm.lua"
    script.write_text(WRK_SCRIPT)
    env = {
        **os.environ,
        "BENCH_UUIDS": str(tmp / "uuids.txt"),
        "BENCH_PREFIX": prefix,
        "BENCH_SUFFIX": suffix,
    }
    output = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{args.clients}",
            f"-d{args.seconds}s",
            "--latency",
            "-s",
            str(script),
            url,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p99": to_ms(re.search(r"99%\s+(\S+)", output).group(1)),
        "errors": int(errors.group(1)) if errors else 0,
    }


def download_rate(url: str, size: int) -> float:
    """MiB/s of downloading `url` whole (verifying the size)."""
    result = subprocess.run(
        ["curl", "-sS", "-o", "/dev/null", "-w", "%{size_download} %{speed_download}", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert int(result[0]) == size, f"{url}: got {result[0]} bytes, expected {size}"
    return float(result[1]) / 1024**2


def download_rates(urls: dict[str, str], size: int, rounds: int = 7) -> dict[str, float]:
    """Median rate per path, the paths interleaved so that background noise hits all alike."""
    samples = {name: [] for name in urls}
    for _ in range(rounds):
        for name, url in urls.items():
            samples[name].append(download_rate(url, size))
    return {name: sorted(rates)[rounds // 2] for name, rates in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--artifact-mib", type=int, default=256)
    args = parser.parse_args()
    for tool in ("wrk", "nginx", "curl"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is missing: apt-get install wrk nginx-light curl")

    tmp = Path(tempfile.mkdtemp(prefix="bearman-storm-"))
    tmp.chmod(0o755)  # nginx workers run as an unprivileged user
    ports = {name: free_port() for name in ("embedded", "backend", "nginx", "static")}
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bearman.settings",
        "BEARMAN_VAR_DIR": str(tmp / "var"),
        "ALLOWED_HOSTS": "127.0.0.1",
        "BEARMAN_PUBLIC_URL": f"http://127.0.0.1:{ports['nginx']}",
    }
    with ExitStack() as stack:
        if on_postgres():
            env["DATABASE_URL"] = stack.enter_context(scratch_postgres("bearman_bench_boot"))
        else:
            env.pop("DATABASE_URL", None)
        run(args, env, ports, tmp)


def run(args, env: dict, ports: dict, tmp: Path) -> None:
    """Fill the database, start Bearman, nginx and the static server, then measure."""
    processes = []
    try:
        os.environ.update(env)
        if "DATABASE_URL" not in env:
            os.environ.pop("DATABASE_URL", None)
        populate(args.nodes, args.artifact_mib, tmp / "uuids.txt")
        processes = start_servers(env, ports, tmp)
        base = "http://127.0.0.1:{}".format
        runs = {
            "embedded": wrk(base(ports["embedded"]), "/ipxe/", "", args, tmp),
            "bare": wrk(base(ports["embedded"]), "/healthz?", "", args, tmp),
            "production": wrk(base(ports["nginx"]), "/ipxe/", "", args, tmp),
            "static": wrk(base(ports["static"]), "/ipxe/", ".ipxe", args, tmp),
        }
        downloads = download_rates(
            {
                "embedded": f"{base(ports['embedded'])}/artifacts/bench-artifact",
                "production": f"{base(ports['nginx'])}/artifacts/bench-artifact",
                "static": f"{base(ports['static'])}/files/bench-artifact",
            },
            args.artifact_mib * 1024 * 1024,
        )
        report(args, runs, downloads)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)


def start_servers(env: dict, ports: dict, tmp: Path) -> list[subprocess.Popen]:
    """Bearman alone (embedded), Bearman behind nginx (production), nginx static."""
    embedded_env = {k: v for k, v in env.items() if k != "BEARMAN_PUBLIC_URL"}
    backend_env = {**env, "BEARMAN_ARTIFACTS_ACCEL_REDIRECT": "/_artifacts"}
    write_nginx_config(ports, tmp)
    nginx = ["nginx", "-p", str(tmp), "-c", str(tmp / "nginx.conf"), "-g", "daemon off;"]
    processes = [
        gunicorn(ports["embedded"], embedded_env, tmp / "embedded.log"),
        gunicorn(ports["backend"], backend_env, tmp / "backend.log"),
        start(nginx, env, tmp / "nginx.log"),
    ]
    for name, port in ports.items():
        path = "/files/bench-artifact" if name == "static" else "/ipxe/boot.ipxe"
        wait_for(f"http://127.0.0.1:{port}{path}", 60)
    return processes


def write_nginx_config(ports: dict, tmp: Path) -> None:
    """The production config from deploy/nginx, plus a plain static server to compare with."""
    ipxe_dir, artifacts_dir = tmp / "var" / "ipxe", tmp / "var" / "media" / "artifacts"
    template = (ROOT / "deploy" / "nginx" / "bearman.conf.template").read_text()
    (tmp / "bearman.conf").write_text(
        string.Template(template).safe_substitute(
            BEARMAN_UPSTREAM=f"127.0.0.1:{ports['backend']}",
            BEARMAN_NGINX_LISTEN=f"127.0.0.1:{ports['nginx']}",
            BEARMAN_IPXE_DIR=ipxe_dir,
            BEARMAN_ARTIFACTS_DIR=artifacts_dir,
        )
    )
    (tmp / "nginx.conf").write_text(
        NGINX_MAIN.format(
            tmp=tmp, static_port=ports["static"], ipxe_dir=ipxe_dir, artifacts_dir=artifacts_dir
        )
    )


def report(args, runs: dict, downloads: dict) -> None:
    from django.db import connection

    print(
        f"boot storm: {args.nodes} nodes, {args.clients} clients, {args.seconds} s each, "
        f"database {connection.vendor}"
    )
    for name, run in runs.items():
        print(
            f"  {name:<11} {run['rps']:9.0f} req/s   p99 {run['p99']:7.2f} ms   "
            f"errors {run['errors']}"
        )
    print(
        f"  ratio embedded/bare Django view:  {runs['embedded']['rps'] / runs['bare']['rps']:.2f}"
        " (target >= 0.5)"
    )
    print(
        f"  ratio production/nginx static:    "
        f"{runs['production']['rps'] / runs['static']['rps']:.2f} (target >= 0.8)"
    )
    print(f"artifact download, {args.artifact_mib} MiB:")
    for name, rate in downloads.items():
        print(f"  {name:<11} {rate:9.0f} MiB/s")
    print(
        f"  ratio production/nginx static:    "
        f"{downloads['production'] / downloads['static']:.2f} (target >= 0.9)"
    )
    print(f"  ratio embedded/nginx static:      {downloads['embedded'] / downloads['static']:.2f}")


if __name__ == "__main__":
    main()
