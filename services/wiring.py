"""The one place that builds the application from settings (nothing is built at import)."""

from __future__ import annotations

from urllib.parse import urlsplit

from domain.calendar import FrenchCalendar
from domain.catalogue import load_catalogue
from infra.event_log import StoredEventLog
from infra.field_cipher import FieldCipher
from infra.files import private_sqlite_file
from infra.settings import Settings, eventsourcing_env, sqlite_path
from projections.event_log import EventLog
from projections.runner import ProjectionRunner, all_projections
from projections.store import ReadStore
from services.application import ClaimsApplication


def build_application(settings: Settings) -> ClaimsApplication:
    key = settings.encryption_key.get_secret_value() if settings.encryption_key else None
    return ClaimsApplication(
        env=eventsourcing_env(settings.database_url, key),
        catalogue=load_catalogue(),
        calendar=FrenchCalendar(settings.calendar_region),
        iban_cipher=FieldCipher.from_encryption_key(key),
    )


def build_event_log(application: ClaimsApplication) -> EventLog:
    """The application's notification log, as the projections and the Kafka relay read it
    (they never import the application: docs/adr/0018)."""
    return StoredEventLog(application.recorder, application.mapper)


def build_read_store(settings: Settings) -> ReadStore:
    url = settings.resolved_read_model_url
    if urlsplit(url).scheme == "sqlite":
        private_sqlite_file(sqlite_path(url))  # before SQLite creates it with the umask's mode
    return ReadStore(url)


def build_runner(settings: Settings, application: ClaimsApplication) -> ProjectionRunner:
    runner = ProjectionRunner(
        build_event_log(application),
        build_read_store(settings),
        all_projections(application.calendar),
    )
    runner.setup()
    return runner
