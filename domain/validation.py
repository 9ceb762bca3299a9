"""Checks shared by the commands: each raises a named error that names the field."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from domain.errors import DatesOutOfOrder, InvalidClaimData
from domain.values import to_money


def require_text(field: str, value: str) -> str:
    text = value.strip()
    if not text:
        raise InvalidClaimData(field, "must not be empty")
    return text


def require_money(field: str, value: Decimal, *, positive: bool = False) -> Decimal:
    try:
        amount = to_money(value)
    except ValueError as exc:
        raise InvalidClaimData(field, str(exc)) from exc
    if amount < 0 or (positive and amount == 0):
        raise InvalidClaimData(field, "must be positive" if positive else "must not be negative")
    return amount


def require_code(field: str, value: str, codes: type[Any]) -> str:
    try:
        return str(codes(value).value)
    except ValueError:
        allowed = ", ".join(member.value for member in codes)
        raise InvalidClaimData(field, f"{value!r} is not one of: {allowed}") from None


def not_before(field: str, value: date, bound_name: str, bound: date | None) -> None:
    if bound is not None and value < bound:
        raise DatesOutOfOrder(
            field, f"{value.isoformat()} is before {bound_name} ({bound.isoformat()})"
        )
