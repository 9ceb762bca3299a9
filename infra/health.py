"""Readiness of the projections, and a tiny /readyz endpoint for worker processes (they serve
no API).

Parked events (dead letters) degrade a projection but do not stop it: the process stays in
rotation ("degraded", 200). It is taken out (503) only when a projection is stalled: behind its
source and not advancing for the configured time (docs/adr/0016-dead-letters.md).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Readiness:
    """Lag and dead letters per projection (or partition), and which of them are stalled."""

    lag: Mapping[str, int]
    dead_letters: Mapping[str, int]
    stalled: tuple[str, ...] = ()

    @property
    def status(self) -> str:
        if self.stalled:
            return "stalled"
        return "degraded" if any(self.dead_letters.values()) else "ready"

    @property
    def http_status(self) -> int:
        return 503 if self.stalled else 200

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "status": self.status,
            "lag": dict(self.lag),
            "dead_letters": dict(self.dead_letters),
        }
        if self.stalled:
            body["stalled"] = list(self.stalled)
        return body


@dataclass
class StallWatch:
    """Tells a stalled projection from a busy one: it remembers since when each observed
    position has stood still while behind (observed at each readiness check)."""

    stall_seconds: float
    clock: Callable[[], float] = time.monotonic
    _still: dict[str, tuple[int, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def assess(
        self,
        positions: Mapping[str, int],
        lag: Mapping[str, int],
        dead_letters: Mapping[str, int],
    ) -> Readiness:
        now = self.clock()
        stalled = []
        with self._lock:
            for name, position in positions.items():
                seen = self._still.get(name)
                if seen is None or seen[0] != position or lag.get(name, 0) <= 0:
                    self._still[name] = (position, now)
                elif now - seen[1] >= self.stall_seconds:
                    stalled.append(name)
        return Readiness(lag, dead_letters, tuple(stalled))


def serve_readyz(
    port: int, readiness: Callable[[], Readiness], host: str = "127.0.0.1"
) -> ThreadingHTTPServer:
    """Answer GET /readyz with {"status": "ready" | "degraded" | "stalled", "lag": {...},
    "dead_letters": {...}} (503 when stalled or the store does not answer) in a daemon
    thread."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/readyz":
                self.send_error(404)
                return
            try:
                ready = readiness()
                body, status = ready.body(), ready.http_status
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
