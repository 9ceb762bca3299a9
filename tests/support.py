"""The tests' helpers for loopback ports, the Tansu test broker and reading a topic back: the
benchmarks' (bench/support.py), so that the benchmarks never import the tests."""

from __future__ import annotations

from bench.support import (
    PeakMemory,
    Refusal,
    free_port,
    read_topic,
    send_large_body,
    start_tansu,
)

__all__ = [
    "PeakMemory",
    "Refusal",
    "free_port",
    "read_topic",
    "send_large_body",
    "start_tansu",
]
