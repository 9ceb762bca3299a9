"""A tiny /readyz endpoint for worker processes (they serve no API)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def serve_readyz(
    port: int, lag: Callable[[], Mapping[str, int] | Mapping[int, int]], host: str = "127.0.0.1"
) -> ThreadingHTTPServer:
    """Answer GET /readyz with {"status": "ready", "lag": {...}} in a daemon thread."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/readyz":
                self.send_error(404)
                return
            try:
                body = {"status": "ready", "lag": {str(k): v for k, v in lag().items()}}
                status = 200
            except Exception as exc:
                body = {"status": "not ready", "error": type(exc).__name__}
                status = 503
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the worker logs with structlog."""

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, name="readyz", daemon=True).start()
    return server
