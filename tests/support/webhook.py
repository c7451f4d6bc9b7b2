"""A chat webhook stand-in: a real HTTP server on loopback (``http.server.ThreadingHTTPServer`` in a thread) that
records every request it is sent and answers with the status it is told to."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# What a real webhook URL carries after its host: its credential. It must never reach a log.
SECRET_PATH = "/hooks/T0001/B0002/secret-token-3f9a"


@dataclass(frozen=True)
class Request:
    """One request the webhook received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any  # the JSON body, parsed


@dataclass
class Webhook:
    """The running server: its URL (with :data:`SECRET_PATH`), what it received, and the status it answers with."""

    port: int
    status: int = 200
    received: list[Request] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{SECRET_PATH}"

    @property
    def posts(self) -> list[Any]:
        """The JSON bodies of the POSTs, in order."""
        return [request.body for request in self.received if request.method == "POST"]


@contextlib.contextmanager
def webhook_server(status: int = 200) -> Iterator[Webhook]:
    """A webhook on 127.0.0.1 (a free port) for the duration of the block."""
    lock = threading.Lock()
    webhook: Webhook

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                webhook.received.append(Request("POST", self.path, dict(self.headers), json.loads(raw or b"null")))
            self.send_response(webhook.status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if webhook.status < 400 else b"no")

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the tests read what was received, not the access log."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    webhook = Webhook(server.server_address[1], status)
    thread = threading.Thread(target=server.serve_forever, name="webhook", daemon=True)
    thread.start()
    try:
        yield webhook
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def closed_port_url() -> str:
    """A webhook URL on a loopback port nothing listens on (it was free a moment ago): the connection is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}{SECRET_PATH}"
