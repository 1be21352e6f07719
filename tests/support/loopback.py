"""A loopback HTTP server to subclass with a handler, and the alert channel built on it (no HTTP mocks).

The publisher of files (ETags, conditional GETs, network faults) is tests/support/publisher.py."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LoopbackHTTPServer:
    """A threaded HTTP server on 127.0.0.1 that can be stopped and started again on the same port."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def handler(self):  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        ThreadingHTTPServer.allow_reuse_address = True
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), self.handler())
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class WebhookReceiver(LoopbackHTTPServer):
    """A generic JSON webhook (apprise `json://`): keeps every JSON body posted to it."""

    def __init__(self, port: int | None = None) -> None:
        super().__init__(port)
        self.received: list[dict] = []

    @property
    def apprise_url(self) -> str:
        return f"json://127.0.0.1:{self.port}/alerts"

    def handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                receiver.received.append(json.loads(self.rfile.read(length) or b"{}"))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        return Handler
