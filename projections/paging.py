"""Opaque cursors for keyset paging."""

from __future__ import annotations

import base64
import json
from typing import Any


class BadCursor(ValueError):  # noqa: N818 - reads as what it is
    pass


def encode_cursor(*values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadCursor("malformed cursor") from exc
    if not isinstance(values, list) or len(values) != arity:
        raise BadCursor("malformed cursor")
    return values
