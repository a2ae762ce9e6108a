import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class WebhookCatcher:
    """A real HTTP endpoint on loopback that records what is posted to it.

    `failing` answers 503 and `status` any other code (with `retry_after`); `max_bytes`
    answers 413 to a larger body, as Slack does; `down()` closes the port (connections
    refused) and `up()` opens it again; `delay` holds each answer, so that two flushers
    posting at once would show in `most_in_flight`.
    """

    def __init__(self):
        self.posts: list[dict] = []
        self.sizes: list[int] = []  # of every body that reached us, taken or not
        self.failing = False
        self.status: int | None = None
        self.retry_after: str | None = None
        self.max_bytes: int | None = None
        self.delay = 0.0
        self.in_flight = self.most_in_flight = 0
        self.lock = threading.Lock()
        self.port = 0
        self.server = None
        self.up()
        self.url = f"http://127.0.0.1:{self.port}/hook"

    def answer(self, size: int) -> int:
        if self.failing:
            return 503
        if self.status:
            return self.status
        return 413 if self.max_bytes and size > self.max_bytes else 200

    def handler(self):
        catcher = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with catcher.lock:
                    catcher.sizes.append(len(body))
                    catcher.in_flight += 1
                    catcher.most_in_flight = max(catcher.most_in_flight, catcher.in_flight)
                try:
                    time.sleep(catcher.delay)
                    status = catcher.answer(len(body))
                    if status == 200:
                        catcher.posts.append(json.loads(body))
                    self.send_response(status)
                    if catcher.retry_after and status != 200:
                        self.send_header("Retry-After", catcher.retry_after)
                    self.end_headers()
                finally:
                    with catcher.lock:
                        catcher.in_flight -= 1

            def log_message(self, *args):
                pass

        return Handler

    def up(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self.handler())
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self):
        self.server.shutdown()
        self.server.server_close()

    def delivered(self) -> list[str]:
        """The message of every notice taken, in order (a duplicate shows twice)."""
        return [item["message"] for post in self.posts for item in post["notices"]]

    def close(self):
        self.down()


@pytest.fixture
def webhook(settings):
    catcher = WebhookCatcher()
    settings.BEARMAN_NOTIFY_WEBHOOK_URL = catcher.url
    settings.BEARMAN_ADMIN_URL = "https://bearman.example.test"
    yield catcher
    catcher.close()
