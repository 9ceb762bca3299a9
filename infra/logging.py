"""structlog, configured once: JSON when stderr is not a terminal, console otherwise.

Log events name claims by id and number only. Bodies, notes, causes and any health data are
never passed to a logger; `scrub_sensitive` drops such keys should one slip in.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

SENSITIVE_KEYS = frozenset(
    {"body", "cause", "description", "text", "summary", "insured", "name", "reason", "note"}
)


def scrub_sensitive(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in SENSITIVE_KEYS & event_dict.keys():
        event_dict[key] = "[redacted]"
    return event_dict


class _Stderr:
    """Whatever `sys.stderr` is when a line is written (a test runner swaps it between tests;
    a logger configured once must not keep writing to a stream that was closed since)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(level: str = "INFO", *, json: bool | None = None) -> None:
    """Configure structlog and the standard library's root logger (uvicorn logs there)."""
    as_json = (not sys.stderr.isatty()) if json is None else json
    # Tracebacks without local variables: a frame's locals may hold a URL with its password,
    # a key or a claim's data (structlog's console default shows them when rich is installed).
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback)
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        scrub_sensitive,
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(file=_Stderr()),  # type: ignore[arg-type]
        # Not cached: a module's logger then follows a later configuration (structlog's
        # capture_logs in the tests, a second configure_logging) instead of keeping the first.
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(_Stderr())
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                renderer,
            ],
            foreign_pre_chain=shared,
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
