"""The one place that builds the application from settings (nothing is built at import)."""

from __future__ import annotations

from domain.calendar import FrenchCalendar
from domain.catalogue import load_catalogue
from infra.settings import Settings, eventsourcing_env
from services.application import ClaimsApplication


def build_application(settings: Settings) -> ClaimsApplication:
    return ClaimsApplication(
        env=eventsourcing_env(
            settings.database_url,
            settings.encryption_key.get_secret_value() if settings.encryption_key else None,
        ),
        catalogue=load_catalogue(),
        calendar=FrenchCalendar(settings.calendar_region),
    )
