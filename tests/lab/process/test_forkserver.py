"""The lab's fork server runs bearman-cli as the installed command does: same output, same
exit codes, the run's own environment."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lab.process.forkserver import AgentForkServer

CLI = Path(sys.executable).parent / "bearman-cli"


@pytest.fixture(scope="module")
def agents():
    server = AgentForkServer()
    yield server
    server.stop()


@pytest.mark.parametrize(
    ("argv", "extra_env"),
    [
        (["--version"], {}),
        (["ipxe", "--system-uuid", "x"], {}),  # no server: a usage error
        (["ipxe", "--system-uuid", "x"], {"BEARMAN_SERVER": "127.0.0.1:1"}),  # no token
        (["autorun", "--lldp-wait", "-1"], {}),  # argparse refuses it
    ],
)
def test_a_run_answers_as_the_installed_command_does(agents, tmp_path, argv, extra_env):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEARMAN_")} | extra_env
    installed = subprocess.run(
        [str(CLI), *argv], env=env, capture_output=True, text=True, timeout=60
    )
    log = tmp_path / "agent.log"
    code = agents.run(argv, env=env, log=log, timeout=60)
    assert code == installed.returncode
    assert log.read_text() == installed.stdout + installed.stderr


def test_runs_in_parallel_each_write_their_own_log(agents, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    logs = [tmp_path / f"agent-{n}.log" for n in range(8)]
    with ThreadPoolExecutor(8) as pool:
        codes = list(
            pool.map(
                lambda log: agents.run(["--version"], env=dict(os.environ), log=log, timeout=60),
                logs,
            )
        )
    assert codes == [0] * 8
    assert {log.read_text() for log in logs} == {"bearman-cli 0.1.0\n"}


def test_finished_runs_are_reaped_and_count_as_the_servers_children(tmp_path):
    server = AgentForkServer()
    try:
        for _ in range(20):
            assert (
                server.run(["--version"], env=dict(os.environ), log=tmp_path / "a", timeout=60) == 0
            )
        pid = server.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children")
        deadline = time.monotonic() + 10
        while children.read_text().split() and time.monotonic() < deadline:
            time.sleep(0.05)  # a run exits just after it has answered its code
        assert children.read_text().split() == []  # none left, not even a zombie
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        assert int(fields[13]) + int(fields[14]) > 0  # the reaped runs' CPU time (ticks)
    finally:
        server.stop()
