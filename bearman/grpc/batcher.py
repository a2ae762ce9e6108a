"""Micro-batching: the calls one server process has in flight share one transaction.

A transport concern, so it lives with the server: the gRPC server runs each call in a
thread of its pool, and in a storm of agents many Register calls are in flight in each
process at once. One transaction per call costs more in statements and commits than the
call's own work, so each call validates its request in its own thread (its errors are
its own, as before), hands it to the process's batcher and waits. One thread takes what
has queued up, waiting a couple of milliseconds for more when the queue runs dry, and
runs it through one service call that answers each item on its own. Nothing is batched
across processes: each has its own batcher, started on first use (after the fork).
"""

import queue
import threading
import time
from collections.abc import Callable

from django.db import close_old_connections


class _Answer:
    """One item's outcome, and a lock its caller waits on until it is set.

    Lighter than a concurrent.futures.Future: a plain lock, no condition to notify.
    """

    __slots__ = ("outcome", "ready")

    def __init__(self):
        self.outcome = None
        self.ready = threading.Lock()
        self.ready.acquire()


class Batcher:
    """Runs `handle(items) -> [result or exception per item]` over batches of submitted items."""

    def __init__(self, handle: Callable[[list], list], *, max_batch: int, linger: float):
        self.handle, self.max_batch, self.linger = handle, max_batch, linger
        self.pending = queue.SimpleQueue()
        self.thread, self.starting = None, threading.Lock()

    def submit(self, item):
        """`item`'s result once its batch has run, or raise its error."""
        answer = _Answer()
        self.pending.put((item, answer))
        self._start()
        answer.ready.acquire()  # released by the batcher thread once the outcome is set
        if isinstance(answer.outcome, BaseException):
            raise answer.outcome
        return answer.outcome

    def _start(self) -> None:
        if self.thread is None:
            with self.starting:
                if self.thread is None:
                    self.thread = threading.Thread(target=self._run, name="batcher", daemon=True)
                    self.thread.start()

    def _run(self) -> None:
        while True:
            self._serve(self._next_batch())

    def _next_batch(self) -> list:
        batch = [self.pending.get()]
        deadline = time.monotonic() + self.linger
        while len(batch) < self.max_batch:
            try:
                batch.append(self.pending.get_nowait())
            except queue.Empty:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    batch.append(self.pending.get(timeout=remaining))
                except queue.Empty:
                    break
        return batch

    def _serve(self, batch: list) -> None:
        """Run one batch and answer every caller in it, whatever happens."""
        try:
            # This thread's connection, like a call's: never a stale one (Django does
            # this around HTTP requests only).
            close_old_connections()
            outcomes = self.handle([item for item, _ in batch])
            if len(outcomes) != len(batch):
                raise RuntimeError(f"{len(outcomes)} answers to a batch of {len(batch)}")
            close_old_connections()
        except Exception as error:  # the whole batch failed
            outcomes = [error] * len(batch)
        for (_, answer), outcome in zip(batch, outcomes, strict=True):
            answer.outcome = outcome
            answer.ready.release()
