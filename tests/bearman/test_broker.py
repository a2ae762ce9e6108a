"""The embedded broker never shows a worker a message that is still being written."""

import os
import threading

from kombu import Connection

from bearman.celery import app  # noqa: F401  (loads Bearman's filesystem:// transport)

MESSAGES = 40


def unfinished(folder: str) -> list[str]:
    """Queue files (`*.burst.msg`) that are empty or do not end their JSON yet."""
    seen = []
    for name in os.listdir(folder):
        if not name.endswith(".burst.msg"):
            continue
        try:
            with open(os.path.join(folder, name), "rb") as message:
                message.seek(0, os.SEEK_END)
                if message.tell() == 0:
                    seen.append(name)
                    continue
                message.seek(-1, os.SEEK_END)
                if message.read(1) != b"}":
                    seen.append(name)
        except FileNotFoundError:
            continue
    return seen


def test_a_message_appears_under_its_queue_name_only_when_whole(tmp_path):
    folders = {key: str(tmp_path) for key in ("data_folder_in", "data_folder_out")}
    folders["control_folder"] = str(tmp_path / "control")  # kombu's default: ./control
    body = "x" * 8_000_000  # big enough that writing one takes a few milliseconds
    partial, done = [], threading.Event()

    def watch():  # a worker's view of the folder, looked at as often as possible
        while not done.is_set():
            partial.extend(unfinished(str(tmp_path)))

    watcher = threading.Thread(target=watch)
    watcher.start()
    with Connection("filesystem://", transport_options=folders) as producer:
        outbox = producer.SimpleQueue("burst")
        for number in range(MESSAGES):
            outbox.put({"number": number, "body": body})
    done.set()
    watcher.join()
    assert partial == []
    with Connection("filesystem://", transport_options=folders) as consumer:
        inbox = consumer.SimpleQueue("burst")
        numbers = []
        for _ in range(MESSAGES):
            message = inbox.get(timeout=10)
            numbers.append(message.payload["number"])
            message.ack()
    assert sorted(numbers) == list(range(MESSAGES))
