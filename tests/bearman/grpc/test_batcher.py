"""The per-process batcher: concurrent submissions share a run, each gets its own answer."""

import threading
import time

import pytest

from bearman.grpc.batcher import Batcher


class Refused(Exception):
    pass


def submit_at_once(batcher: Batcher, items: list) -> dict:
    """Submit every item from its own thread, all at once; {item: result or exception}."""
    outcomes, start = {}, threading.Barrier(len(items))

    def submit(item):
        start.wait()
        try:
            outcomes[item] = batcher.submit(item)
        except Exception as error:
            outcomes[item] = error

    threads = [threading.Thread(target=submit, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_concurrent_items_run_together_and_each_caller_gets_its_own_answer():
    runs = []

    def handle(items):
        runs.append(list(items))
        time.sleep(0.05)  # a transaction's worth: the others queue up meanwhile
        return [Refused(item) if item % 5 == 0 else item * 10 for item in items]

    outcomes = submit_at_once(Batcher(handle, max_batch=64, linger=0.002), list(range(1, 41)))

    assert {item: outcome for item, outcome in outcomes.items() if item % 5} == {
        item: item * 10 for item in range(1, 41) if item % 5
    }
    assert all(isinstance(outcomes[item], Refused) for item in range(5, 41, 5))
    assert sorted(item for run in runs for item in run) == list(range(1, 41))
    assert len(runs) < 40 and max(map(len, runs)) > 1, "items shared a run"


def test_a_run_never_takes_more_than_the_cap():
    runs = []

    def handle(items):
        runs.append(len(items))
        time.sleep(0.02)
        return items

    outcomes = submit_at_once(Batcher(handle, max_batch=4, linger=0.01), list(range(30)))

    assert outcomes == {item: item for item in range(30)}
    assert max(runs) <= 4


def test_when_the_whole_run_fails_every_caller_in_it_gets_the_error():
    def handle(items):
        raise Refused("the database is down")

    outcomes = submit_at_once(Batcher(handle, max_batch=64, linger=0.002), [1, 2, 3])

    assert all(isinstance(outcome, Refused) for outcome in outcomes.values())
    with pytest.raises(Refused):
        Batcher(handle, max_batch=64, linger=0).submit(4)
