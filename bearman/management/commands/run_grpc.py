import multiprocessing
import os
import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections


def serve(bind: str, threads: int) -> None:
    """One server process: build the server here, after any fork, then serve until signalled."""
    from bearman.grpc.server import AgentServer
    from bearman.heap import heap_freeze_startup

    server = AgentServer(bind=bind, threads=threads, reflection_on=settings.BEARMAN_GRPC_REFLECTION)
    heap_freeze_startup()
    server.serve_until_signalled(settings.BEARMAN_GRPC_GRACE_SECONDS)


class Command(BaseCommand):
    help = (
        "Serve the gRPC agent API (bearman.v1.AgentService, health, reflection). "
        "SIGTERM drains: health turns NOT_SERVING, in-flight calls get the grace period."
    )

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=settings.BEARMAN_GRPC_BIND, help="HOST:PORT")
        parser.add_argument("--threads", type=int, default=settings.BEARMAN_GRPC_THREADS)
        parser.add_argument(
            "--processes",
            type=int,
            default=settings.BEARMAN_GRPC_PROCESSES,
            help="server processes sharing the port (SO_REUSEPORT); Python needs several "
            "to use several cores",
        )

    def handle(self, *args, bind, threads, processes, **options):
        if processes < 1 or threads < 1:
            raise CommandError("--processes and --threads must be at least 1")
        if processes == 1:
            serve(bind, threads)
            return
        # gRPC must not be initialised before fork, and DB connections are per process.
        connections.close_all()
        context = multiprocessing.get_context("fork")
        children = [context.Process(target=serve, args=(bind, threads)) for _ in range(processes)]
        for child in children:
            child.start()

        def forward(signum, frame):
            for child in children:
                if child.pid:
                    os.kill(child.pid, signal.SIGTERM)

        signal.signal(signal.SIGTERM, forward)
        signal.signal(signal.SIGINT, forward)
        for child in children:
            child.join()
