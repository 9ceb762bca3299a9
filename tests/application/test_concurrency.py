"""Concurrent writers never lose an update, and claim numbers stay unique."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from domain.errors import ConcurrentUpdate
from services.application import ClaimsApplication
from tests.domain.gwt import declaration

THREADS = 8


def run_in_threads(work: Callable[[int], None]) -> None:
    start = threading.Barrier(THREADS)

    def worker(index: int) -> None:
        start.wait()
        work(index)

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        for future in [pool.submit(worker, i) for i in range(THREADS)]:
            future.result()


def test_eight_threads_of_fifty_commands_on_one_claim_lose_no_update(
    app: ClaimsApplication,
) -> None:
    claim = app.declare(declaration(), by="h")
    succeeded: list[str] = []
    conflicts: list[ConcurrentUpdate] = []
    lock = threading.Lock()

    def work(index: int) -> None:
        for n in range(50):
            text = f"thread {index} note {n}"
            try:
                app.add_note(claim.id, text=text, noted_on=date(2026, 3, 5), by=f"h{index}")
            except ConcurrentUpdate as conflict:
                with lock:
                    conflicts.append(conflict)
            else:
                with lock:
                    succeeded.append(text)

    run_in_threads(work)

    assert len(succeeded) + len(conflicts) == THREADS * 50
    final = app.get_claim(claim.id)
    assert final.version == 1 + len(succeeded)
    stored_notes = [e.data["text"] for e in app.history(claim.id)[1:]]
    assert sorted(stored_notes) == sorted(succeeded)  # each success stored once, no other


def test_eight_threads_declaring_200_claims_get_200_distinct_numbers(
    app: ClaimsApplication,
) -> None:
    numbers: list[str] = []
    lock = threading.Lock()

    def work(index: int) -> None:
        for _ in range(200 // THREADS):
            claim = app.declare(declaration(), by=f"h{index}")
            with lock:
                numbers.append(claim.claim_number)

    run_in_threads(work)

    assert len(numbers) == 200
    assert len(set(numbers)) == 200
    for number in numbers:
        assert app.find_by_number(number).claim_number == number
