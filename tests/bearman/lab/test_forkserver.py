"""The lab's fork server runs bearman-cli as the installed command does: same output, same
exit codes, the run's own environment."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bearman.lab.forkserver import AgentForkServer

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
