from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.settings import Settings
from projections.runner import ProjectionRunner, all_projections
from projections.store import ReadStore
from services.application import ClaimsApplication
from services.wiring import build_event_log


@pytest.fixture
def store(database_url: str) -> Iterator[ReadStore]:
    read_store = ReadStore(Settings(database_url=database_url).resolved_read_model_url)
    try:
        yield read_store
    finally:
        read_store.close()


@pytest.fixture
def runner(app: ClaimsApplication, store: ReadStore) -> ProjectionRunner:
    projection_runner = ProjectionRunner(
        build_event_log(app), store, all_projections(app.calendar), batch_size=50
    )
    projection_runner.setup()
    return projection_runner
