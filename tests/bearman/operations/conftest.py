import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class WebhookCatcher:
    """A real HTTP endpoint on loopback that records what is posted to it."""

    def __init__(self):
        self.posts: list[dict] = []
        self.failing = False
        catcher = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if catcher.failing:
                    self.send_response(503)
                else:
                    catcher.posts.append(json.loads(body))
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook(settings):
    catcher = WebhookCatcher()
    settings.BEARMAN_NOTIFY_WEBHOOK_URL = catcher.url
    settings.BEARMAN_ADMIN_URL = "https://bearman.example.test"
    yield catcher
    catcher.close()
