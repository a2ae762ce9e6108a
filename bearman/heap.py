"""The garbage collector in Bearman's long-running processes (web, gRPC, worker, lab)."""

import gc


def heap_freeze_startup() -> None:
    """Keep the collector off what start-up loaded: Django, the apps, the wire types.

    Those objects live as long as the process, yet every full collection walked them all
    again: under the lab's boot storm that was a fifth of the web workers' CPU
    (bench/README.md, lab.py). Call it once the process is ready to serve, after any fork
    (frozen objects are never collected).
    """
    gc.freeze()
