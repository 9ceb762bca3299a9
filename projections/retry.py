"""Retry with back-off: the one helper of every loop that retries (docs/adr/0018).

Two shapes share it. A command that lost a race retries a bounded number of times after a
short random pause (`attempts` with `jittered`); a background worker (the projection runner,
the Kafka relay and workers) runs until stopped and, after a failed step, pauses longer after
each failure in a row (`run_until_stopped` with `exponential`). It lives in `projections/`,
the lowest layer that does I/O, so that the runner may use it; infra and services import it
from here.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator

# The pause, in seconds, after the n-th failure in a row (n >= 1).
Backoff = Callable[[int], float]


def exponential(base: float, *, cap: float = 5.0, doublings: int = 5) -> Backoff:
    """`base` doubled per failure in a row, at most `doublings` times, and never over `cap`."""
    return lambda failures: min(cap, base * 2 ** min(failures, doublings))


def jittered(step: float) -> Backoff:
    """A random pause up to `step` per failure in a row: writers that collided spread out."""
    return lambda failures: random.uniform(0, step * failures)  # noqa: S311 - jitter only


def attempts(
    count: int, backoff: Backoff, *, sleep: Callable[[float], object] = time.sleep
) -> Iterator[int]:
    """The attempt numbers 0 .. count - 1, pausing `backoff(n)` before attempt n (n >= 1):
    the loop body `continue`s to retry and returns (or breaks) when done, and the code after
    the loop runs when every attempt failed."""
    for attempt in range(count):
        if attempt:
            sleep(backoff(attempt))
        yield attempt


def run_until_stopped(
    step: Callable[[], int],
    *,
    stop: threading.Event,
    backoff: Backoff,
    idle: float,
    on_failure: Callable[[Exception, int], object],
) -> None:
    """Run `step` until `stop` is set. After a step that found nothing to do (returned 0),
    wait `idle` seconds (0: go on at once); after one that raised, call `on_failure(error,
    failures in a row)` and wait `backoff(failures in a row)`. Every wait ends when `stop` is
    set."""
    failures = 0
    while not stop.is_set():
        try:
            count = step()
        except Exception as exc:
            failures += 1
            on_failure(exc, failures)
            stop.wait(backoff(failures))
            continue
        failures = 0
        if not count and idle:
            stop.wait(idle)
