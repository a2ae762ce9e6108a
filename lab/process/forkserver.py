"""The real `bearman-cli`, run many times without paying for a new Python each time.

A lab machine runs `bearman-cli autorun` at every boot. As a fresh process, most of such
a run is the interpreter starting and importing grpc and protobuf (about 0.3 s of CPU),
which on a small host sets the pace of a large lab. The fork server imports the agent
once, then forks a child per run; the child calls the agent's own entry point
(`bearman_agent.cli.main`, what the installed command calls) with the run's arguments
and environment, writes its stdout and stderr to the run's log and exits with its code.

gRPC and fork: the server only imports grpc. It never creates a channel or a server, so
gRPC core holds no threads or state when it forks, and every child makes its own channel.

Protocol, one connection per run over a Unix socket: the lab sends one JSON line
{"argv", "env", "log"}; the child answers its pid, then its exit code, one line each.
"""

import argparse
import contextlib
import importlib
import json
import os
import pkgutil
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

from bearman.heap import heap_freeze_startup
from lab.process.standin import agent_reads_machine

AGENT = "bearman_agent"
PROJECT = Path(__file__).resolve().parents[2]  # where `-m lab.process.forkserver` is found
# What a run imports on first use rather than with the agent's modules: grpc's channel
# machinery (grpc.insecure_channel) and the IDNA codec (the first getaddrinfo of a
# name). Left to the children, they took some 40 % of the Python time of each run.
FIRST_USE_IMPORTS = ("grpc._channel", "encodings.idna")


def _import_agent() -> None:
    """Every module of the agent, so that no child imports anything."""
    package = importlib.import_module(AGENT)
    for module in pkgutil.walk_packages(package.__path__, f"{AGENT}."):
        if not module.name.endswith(".__main__"):  # that one runs the command
            importlib.import_module(module.name)
    for name in FIRST_USE_IMPORTS:  # imports only: no channel, so no gRPC threads
        importlib.import_module(name)


def serve(listener: socket.socket) -> None:
    """Fork a child per connection until the lab closes our stdin (or is gone)."""
    _import_agent()
    # Out of the collector's sight: a child's collections would otherwise walk (and so
    # copy, page by page) everything imported here.
    heap_freeze_startup()
    signal.signal(signal.SIGCHLD, _reap)
    while True:
        if sys.stdin in select.select([listener, sys.stdin], [], [])[0]:
            os.killpg(0, signal.SIGTERM)  # with the runs still going
        connection, _ = listener.accept()
        if os.fork() == 0:
            listener.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the agent waits for its tools
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            _child(connection)  # never returns
        connection.close()


def _reap(signum, frame) -> None:
    # Reaped here rather than by the kernel (SIGCHLD ignored): a reaped run's CPU time then
    # counts among this server's children's, which the lab reports when it stops.
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


def _child(connection: socket.socket) -> None:
    code = 70  # EX_SOFTWARE, should the run itself never get going
    try:
        request = json.loads(connection.makefile("rb").readline())
        connection.sendall(f"{os.getpid()}\n".encode())
        nothing = os.open(os.devnull, os.O_RDONLY)  # not the server's lifeline
        os.dup2(nothing, 0)
        os.close(nothing)
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        os.environ.clear()
        os.environ.update(request["env"])
        if machine := request["env"].get("BEARMAN_LAB_MACHINE"):
            agent_reads_machine(Path(machine))
        code = _main(request["argv"])
        sys.stdout.flush()
        sys.stderr.flush()
        connection.sendall(f"{code}\n".encode())
    except BaseException:
        traceback.print_exc()
        sys.stderr.flush()
    os._exit(code)


def _main(argv: list[str]) -> int:
    """The agent's entry point, with the exit code a process running it would have."""
    from bearman_agent.cli import main

    try:
        return main(argv) or 0
    except SystemExit as exit_:  # argparse: --help, --version, usage errors
        if exit_.code is None or isinstance(exit_.code, int):
            return exit_.code or 0
        print(exit_.code, file=sys.stderr)
        return 1


class AgentForkServer:
    """A running fork server; `run` is `subprocess.run(["bearman-cli", *argv])` without
    the start-up. Stop it with `stop`."""

    def __init__(self):
        # A short path: a Unix socket's must fit in 108 bytes.
        self.directory = tempfile.mkdtemp(prefix="bearman-agents-")
        self.address = os.path.join(self.directory, "socket")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(self.address)
        listener.listen(128)  # runs wait here until the server is up: no start-up race
        with listener:
            self.process = subprocess.Popen(
                [sys.executable, "-m", __name__, "--fd", str(listener.fileno())],
                cwd=PROJECT,
                pass_fds=[listener.fileno()],
                start_new_session=True,  # its children too are stopped as one group
                stdin=subprocess.PIPE,  # its lifeline: closed when we stop or die
                stdout=subprocess.DEVNULL,
            )

    def run(self, argv: list[str], *, env: dict, log: Path, timeout: float) -> int:
        """The exit code of `bearman-cli argv`, or -1 when the run ended without one."""
        request = {"argv": argv, "env": env, "log": str(log)}
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(timeout)
            connection.connect(self.address)
            connection.sendall(json.dumps(request).encode() + b"\n")
            answers = connection.makefile("rb")
            pid = int(answers.readline())
            try:
                code = answers.readline()
            except TimeoutError:
                os.kill(pid, signal.SIGKILL)
                raise subprocess.TimeoutExpired(["bearman-cli", *argv], timeout) from None
        return int(code) if code else -1  # ended without a word: killed, or see its log

    def stop(self) -> None:
        self.process.stdin.close()
        self.process.wait(10)
        shutil.rmtree(self.directory, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="The lab's bearman-cli fork server.")
    parser.add_argument("--fd", type=int, required=True, help="a listening Unix socket")
    serve(socket.socket(fileno=parser.parse_args().fd))
