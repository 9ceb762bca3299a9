"""The retry helper: bounded attempts for commands that lost a race, and the loop of the
background workers (projection runner, Kafka relay and workers)."""

from __future__ import annotations

import threading

import pytest

from projections.retry import attempts, exponential, jittered, run_until_stopped


class CountingStop(threading.Event):
    """A stop event that records every wait instead of waiting, and sets itself after
    `steps` waits (so that a loop under test ends)."""

    def __init__(self, steps: int) -> None:
        super().__init__()
        self.waits: list[float] = []
        self._steps = steps

    def wait(self, timeout: float | None = None) -> bool:
        assert timeout is not None
        self.waits.append(timeout)
        if len(self.waits) >= self._steps:
            self.set()
        return self.is_set()


def test_exponential_back_off_doubles_per_failure_up_to_its_cap() -> None:
    relay = exponential(0.2)
    assert [relay(n) for n in range(1, 7)] == [0.4, 0.8, 1.6, 3.2, 5.0, 5.0]
    runner = exponential(0.05, doublings=6)
    assert [runner(n) for n in (1, 6, 7, 20)] == [0.1, 3.2, 3.2, 3.2]


def test_jittered_back_off_stays_within_its_step_per_failure() -> None:
    backoff = jittered(0.002)
    for failures in (1, 2, 50):
        pauses = [backoff(failures) for _ in range(200)]
        assert all(0 <= pause <= 0.002 * failures for pause in pauses)
        assert len(set(pauses)) > 1  # random: colliding writers spread out


def test_attempts_pause_between_attempts_and_not_after_the_last() -> None:
    pauses: list[float] = []
    tried = list(attempts(4, lambda failures: failures * 10.0, sleep=pauses.append))
    assert tried == [0, 1, 2, 3]
    assert pauses == [10.0, 20.0, 30.0]


def test_attempts_stop_pausing_once_the_body_succeeds() -> None:
    pauses: list[float] = []
    for attempt in attempts(5, lambda failures: 1.0, sleep=pauses.append):
        if attempt == 1:
            break
    assert pauses == [1.0]


def test_a_single_attempt_never_pauses() -> None:
    pauses: list[float] = []
    assert list(attempts(1, lambda failures: 1.0, sleep=pauses.append)) == [0]
    assert pauses == []


def test_the_worker_loop_backs_off_longer_per_failure_in_a_row_and_resets_on_success() -> None:
    outcomes: list[int | Exception] = [
        RuntimeError("down"),
        RuntimeError("down"),
        3,  # a batch: go on at once
        0,  # caught up: wait the idle interval
        RuntimeError("down again"),
    ]
    failures: list[tuple[str, int]] = []

    def step() -> int:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    stop = CountingStop(steps=4)
    run_until_stopped(
        step,
        stop=stop,
        backoff=exponential(0.2),
        idle=0.05,
        on_failure=lambda exc, count: failures.append((str(exc), count)),
    )
    assert failures == [("down", 1), ("down", 2), ("down again", 1)]
    assert stop.waits == [0.4, 0.8, 0.05, 0.4]
    assert outcomes == []


def test_the_worker_loop_without_idle_interval_polls_again_at_once() -> None:
    steps = iter([0, 0, 0])
    stop = CountingStop(steps=1)

    def step() -> int:
        try:
            return next(steps)
        except StopIteration:
            raise RuntimeError("done") from None

    run_until_stopped(step, stop=stop, backoff=exponential(0.2), idle=0, on_failure=print)
    assert stop.waits == [0.4]  # only the failure after the three empty polls waited


def test_the_worker_loop_does_not_start_when_already_stopped() -> None:
    stop = threading.Event()
    stop.set()

    def step() -> int:
        pytest.fail("a stopped loop ran a step")

    run_until_stopped(step, stop=stop, backoff=exponential(0.2), idle=0.05, on_failure=print)
