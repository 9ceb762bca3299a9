"""The notification tests' fixtures (tests/notifications/support.py, shared with tests/kafka)."""

from tests.notifications.support import (  # noqa: F401 - fixtures
    notifications,
    policy,
    read_store,
    sms_gateway,
    smtp_server,
)
