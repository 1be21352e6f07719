"""A loopback HTTP server that plays a publisher: serves real bytes, with ETags and injectable faults."""

from __future__ import annotations

import hashlib
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Published:
    body: bytes
    content_type: str = "text/csv"
    last_modified: float = 1_700_000_000.0
    etag: str = ""  # the publisher's own ETag when a test names it; else one derived from the bytes

    def __post_init__(self) -> None:
        self.etag = self.etag or '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'


@dataclass
class Publisher:
    """Files by path, and a queue of faults to play on the next requests (one fault per request)."""

    files: dict[str, Published] = field(default_factory=dict)
    # drop (close, no answer) | reset (TCP RST) | 503 | 429 (with Retry-After) | short_body (Content-Length
    # longer than the body, then hang up) | long_body (Content-Length shorter than the body) |
    # drip (the body a few bytes at a time, `drip_interval_s` apart)
    faults: list[str] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)  # path, headers and the status answered
    retry_after: str = "0"
    # When set, faults are played only on requests for these paths (others are served normally).
    fault_paths: set[str] | None = None
    drip_interval_s: float = 0.05
    drip_bytes: int = 16

    def publish(self, path: str, body: bytes, **kwargs) -> Published:
        self.files[path] = Published(body, **kwargs)
        return self.files[path]


def _handler(publisher: Publisher):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # keep test output clean
            pass

        def send_response(self, code, message=None):
            self.record["status"] = code
            super().send_response(code, message)

        def handle(self):
            try:
                super().handle()
            except (ConnectionResetError, BrokenPipeError):
                pass  # a client that hung up (or a fault that made it): nothing to report

        def do_GET(self):
            self.record = {"path": self.path, "headers": dict(self.headers)}
            publisher.requests.append(self.record)
            applies = publisher.fault_paths is None or self.path.split("?")[0] in publisher.fault_paths
            fault = publisher.faults.pop(0) if publisher.faults and applies else None
            if fault == "drop":
                self.connection.shutdown(socket.SHUT_RDWR)
                self.connection.close()
                return
            if fault == "reset":
                # SO_LINGER with a zero timeout: close() sends RST, the client sees "connection reset".
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                self.close_connection = True
                return
            if fault in ("503", "429"):
                self.send_response(int(fault))
                self.send_header("Retry-After", publisher.retry_after)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            item = publisher.files.get(self.path.split("?")[0])
            if item is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self.headers.get("If-None-Match") == item.etag:
                self.send_response(304)
                self.send_header("ETag", item.etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = item.body
            self.send_response(200)
            self.send_header("Content-Type", item.content_type)
            self.send_header("ETag", item.etag)
            self.send_header("Last-Modified", formatdate(item.last_modified, usegmt=True))
            if fault == "short_body":
                # Promise the whole file, send half, hang up: a wrong Content-Length.
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if fault == "long_body":
                # Promise half the file and send all of it: the client stops at the promised length.
                self.send_header("Content-Length", str(len(body) // 2))
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()
                self.close_connection = True
                return
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if fault == "drip":
                try:
                    for start in range(0, len(body), publisher.drip_bytes):
                        self.wfile.write(body[start : start + publisher.drip_bytes])
                        self.wfile.flush()
                        time.sleep(publisher.drip_interval_s)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up, as it should
                return
            self.wfile.write(body)

    return Handler


class LoopbackServer:
    def __init__(self, publisher: Publisher) -> None:
        self.publisher = publisher
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(publisher))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def __enter__(self) -> "LoopbackServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
