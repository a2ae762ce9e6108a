"""A local stand-in for the notices webhook (http.server), whose mood the suite sets."""

import json
import re
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# What the suite's agents put in each failure they report (load.Clients.notice): Bearman
# words its notice around it.
NOTICE_NAME = re.compile(r"fault-[a-z] notice [0-9]+")
LARGE_BODY = 64 * 1024  # bytes; above this the webhook may answer 413, as Slack does


class Webhook:
    """Takes JSON notices and counts each one it took; `mode` is "up", "down" or "413"."""

    def __init__(self):
        self.mode = "up"
        self.lock = threading.Lock()
        self.delivered: Counter[str] = Counter()  # notice name → times taken
        self.taken_at: dict[str, float] = {}  # notice name → time.time() first taken
        self.posts: list[tuple[float, int, int]] = []  # (when, bytes, status answered)
        self.in_flight = self.most_in_flight = 0
        webhook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                webhook.handle(self)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        body = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            status = self._answer(body)
        finally:
            with self.lock:
                self.in_flight -= 1
                self.posts.append((time.time(), len(body), status))
        request.send_response(status)
        request.send_header("Content-Length", "0")
        request.end_headers()

    def _answer(self, body: bytes) -> int:
        if self.mode == "down":
            time.sleep(0.3)  # long enough that two flushers at once would overlap here
            return 503
        if self.mode == "413" and len(body) > LARGE_BODY:
            return 413
        now = time.time()
        with self.lock:
            for notice in json.loads(body).get("notices", []):
                name = NOTICE_NAME.search(notice["message"])
                name = name.group() if name else notice["message"]
                self.delivered[name] += 1
                self.taken_at.setdefault(name, now)
        return 200

    def posts_since(self, since: float) -> list[tuple[float, int, int]]:
        with self.lock:
            return [post for post in self.posts if post[0] >= since]
