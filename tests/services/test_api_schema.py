"""Schemathesis against /openapi.json: no server error, every response as documented."""

from __future__ import annotations

from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from pydantic import SecretStr
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from infra.settings import Settings
from services.http.app import create_app
from tests.services.conftest import TOKEN_SPEC, auth

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_every_operation_answers_as_documented(sqlite_url: str) -> None:
    app = create_app(Settings(database_url=sqlite_url, api_tokens=SecretStr(TOKEN_SPEC)))
    with TestClient(app):  # runs the lifespan: the application is wired
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        operations = [
            result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)
        ]
        # 32, 4 of the complaints register, 11 of money, search, 2 reports, 11 of documents
        # and the insured's side, 2 of notifications, 2 of personal data (the erasure, the
        # retention list)
        assert len(operations) == 65

        for operation in operations:

            @settings(
                max_examples=25,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy())
            def answers_as_documented(case: Any) -> None:
                case.call_and_validate(headers=auth("admin"), checks=CHECKS)

            answers_as_documented()
