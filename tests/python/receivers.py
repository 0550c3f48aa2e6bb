"""Alert receivers on loopback for the notification tests: each records every request (path,
content type, JSON body) and answers 200, or 503 while ``down`` (with ``Retry-After-Ms: 10``, so
the sender's retries do not slow the test)."""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Receiver:
    """A webhook on 127.0.0.1 whose URL carries a secret-looking token (which must never show)."""

    def __init__(self, token: str = "SECRET-TOKEN") -> None:
        self.seen: list[tuple[str, dict[str, Any]]] = []
        self.paths: list[str] = []
        self.down = False
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with outer.lock:
                    outer.paths.append(self.path)
                    if outer.down:
                        self.send_response(503)
                        self.send_header("Retry-After-Ms", "10")
                        self.end_headers()
                        return
                    outer.seen.append((self.headers["Content-Type"], json.loads(body)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook/{token}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def bodies(self) -> list[dict[str, Any]]:
        with self.lock:
            return [b for _, b in self.seen]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def receivers(n: int) -> Iterator[list[Receiver]]:
    rs = [Receiver(f"SECRET-TOKEN-{i}") for i in range(n)]
    try:
        yield rs
    finally:
        for r in rs:
            r.close()
