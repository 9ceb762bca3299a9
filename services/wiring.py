"""The one place that builds the application from settings (nothing is built at import)."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from urllib.parse import urlsplit

import structlog

from domain.calendar import FrenchCalendar
from domain.catalogue import load_catalogue
from infra.access_code_outbox import AccessCodeOutbox
from infra.documents import ContentCipher, DatabaseDocumentStore, DocumentStore, FileDocumentStore
from infra.event_log import StoredEventLog
from infra.field_cipher import FieldCipher
from infra.files import private_sqlite_file
from infra.keys import KeyStore
from infra.private_store import open_private_store
from infra.settings import Environment, Settings, eventsourcing_env, sqlite_path
from projections.base import Projection
from projections.event_log import EventLog
from projections.runner import ProjectionRunner, all_projections
from projections.search.fold import NameHasher
from projections.store import ReadStore
from services.application import ClaimsApplication
from services.insured import InsuredSide

log = structlog.get_logger(__name__)
# CLAIMS_ENV=dev only, when CLAIMS_SEARCH_KEY is unset: names searchable on a developer's box.
DEV_SEARCH_KEY = "dev-only-search-key-never-in-production-000"


class HmacNameHasher:
    """HMAC-SHA256 of a normalised name or word under the search key
    (docs/adr/0030-claim-search.md): the search read model's only form of a name."""

    def __init__(self, key: str) -> None:
        self._key = hashlib.sha256(b"claim-search:" + key.encode("utf-8")).digest()
        check = hmac.new(self._key, b"key-id", hashlib.sha256).digest()
        self.key_id = int.from_bytes(check[:4], "big")

    def __call__(self, text: str) -> str:
        return hmac.new(self._key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def build_name_hasher(settings: Settings) -> NameHasher | None:
    """The search key's hasher; a development key in CLAIMS_ENV=dev; else none: names are
    not searchable (and the search read model keeps none)."""
    if settings.search_key is not None:
        return HmacNameHasher(settings.search_key.get_secret_value())
    if settings.env == Environment.DEV:
        log.warning("search.development_key_active")
        return HmacNameHasher(DEV_SEARCH_KEY)
    return None


def build_projections(settings: Settings, application: ClaimsApplication) -> list[Projection]:
    return all_projections(application.calendar, build_name_hasher(settings))


def build_application(settings: Settings) -> ClaimsApplication:
    key = settings.encryption_key.get_secret_value() if settings.encryption_key else None
    application = ClaimsApplication(
        env=eventsourcing_env(settings.database_url, key),
        catalogue=load_catalogue(),
        calendar=FrenchCalendar(settings.calendar_region),
        iban_cipher=FieldCipher.from_encryption_key(key),
        personal_cipher=FieldCipher.from_encryption_key(key, purpose="personal"),
    )
    application.attach_keys(KeyStore(settings.database_url, key))  # docs/adr/0036, 0037
    return application


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
        build_projections(settings, application),
    )
    runner.setup()
    return runner


def build_private_store(settings: Settings) -> ReadStore:
    """The private tables (infra/private_store.py) of the settings' event store."""
    return open_private_store(settings.database_url)


def build_document_store(settings: Settings, private: ReadStore) -> DocumentStore:
    """Documents in PostgreSQL when the event store is PostgreSQL; else files, in
    CLAIMS_DOCUMENTS_DIR or `documents/` beside the SQLite store (docs/adr/0032)."""
    key = settings.encryption_key.get_secret_value() if settings.encryption_key else None
    cipher = ContentCipher.from_encryption_key(key)
    if urlsplit(settings.database_url).scheme == "sqlite":
        folder = settings.documents_dir
        root = Path(folder) if folder else Path(sqlite_path(settings.database_url)).parent
        root = root if folder else root / "documents"
        return FileDocumentStore(root, cipher)
    store = DatabaseDocumentStore(private, cipher)
    store.setup()
    return store


def attach_insured_side(
    settings: Settings, application: ClaimsApplication, private: ReadStore
) -> InsuredSide:
    """The outbox of access codes and the document store, on the application."""
    key = settings.encryption_key.get_secret_value() if settings.encryption_key else None
    side = InsuredSide(
        outbox=AccessCodeOutbox.from_encryption_key(private, key),
        documents=build_document_store(settings, private),
    )
    application.insured_side = side
    return side
