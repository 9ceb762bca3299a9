"""Plausible input: the window of business dates, ASCII money, clean and bounded free text.

Pure rules with no clock: "today" is an argument. The HTTP layer applies them to every request
body and query parameter (docs/adr/0015-plausible-input.md), so that an implausible value
(a year 9999, a NUL byte, a right-to-left override, a full-width digit) is refused with a 422
naming its field before it reaches the event store, the read models or the pages.
Every check raises `ImplausibleInputError`, a `ValueError` whose message suits that field's
error.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import Enum

EARLIEST_DATE = date(2000, 1, 1)
"""No business date before this one: the back office holds no claim from before 2000."""

RECORDING_LEEWAY_DAYS = 1
"""A fact (declared, received, decided, paid, sent...) may be dated at most one day ahead of
today in Paris: a caller in Réunion or Mayotte is already on tomorrow's date at 22:00 in Paris."""

DEFAULT_HORIZON_DAYS = 730
"""How far ahead a planned date (a trip's departure or return, a view's `as_of`) may lie."""

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MONEY = re.compile(r"[0-9]{1,10}(?:\.[0-9]{1,2})?")
CENT = Decimal("0.01")

# Trojan-source characters (CVE-2021-42574): the bidirectional embeddings, overrides and
# isolates, which make text display in an order other than the stored one. The marks
# (U+200E, U+200F, U+061C) only hint at a direction and stay allowed.
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e"  # LRE RLE PDF LRO RLO
    "\u2066\u2067\u2068\u2069"  # LRI RLI FSI PDI
)
# Cc: C0 controls (NUL included), DEL and C1 controls. Cs: lone surrogates, which no store can
# encode in UTF-8. Zl, Zp: U+2028 and U+2029, line breaks that are not "\n".
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
_MULTILINE_ALLOWED = frozenset("\n\t")


class ImplausibleInputError(ValueError):
    """A value outside what the back office accepts from a caller."""


class DateKind(Enum):
    """What a business date stands for, which sets how far ahead it may lie."""

    HAPPENED = "happened"
    """A fact already true when recorded: event, knowledge, booking, subscription, declaration,
    request, receipt, decision, payment, closure, sending, referral, note... (today + 1 day)."""
    PLANNED = "planned"
    """A date set in advance: a trip's departure and return; the day a view is asked for
    (today + the horizon)."""


def parse_business_date(text: str) -> date:
    """A business date written `YYYY-MM-DD` in ASCII digits, and a real calendar day."""
    if not _DAY.fullmatch(text):
        msg = "a date is a string YYYY-MM-DD"
        raise ImplausibleInputError(msg)
    try:
        return date.fromisoformat(text)
    except ValueError:
        msg = f"{text} is not a calendar date"
        raise ImplausibleInputError(msg) from None


def latest_date(kind: DateKind, *, today: date, horizon_days: int) -> date:
    """The last plausible business date of a kind, given today's date in Paris."""
    ahead = RECORDING_LEEWAY_DAYS if kind is DateKind.HAPPENED else horizon_days
    return today + timedelta(days=ahead)


def check_business_date(value: date, kind: DateKind, *, today: date, horizon_days: int) -> date:
    """`value` if it lies between 2000-01-01 and the latest plausible date of its kind."""
    if value < EARLIEST_DATE:
        msg = f"{value.isoformat()} is before {EARLIEST_DATE.isoformat()}"
        raise ImplausibleInputError(msg)
    latest = latest_date(kind, today=today, horizon_days=horizon_days)
    if value > latest:
        if kind is DateKind.HAPPENED:
            msg = f"{value.isoformat()} is in the future (at most {latest.isoformat()})"
        else:
            msg = f"{value.isoformat()} is too far ahead (at most {latest.isoformat()})"
        raise ImplausibleInputError(msg)
    return value


def parse_money(text: str) -> Decimal:
    """An amount written in ASCII digits with at most two decimals, e.g. `"1200.00"`.

    No sign, exponent (`"1e3"`), grouping, spaces or non-ASCII digits (full-width U+FF11,
    Arabic-Indic...), which `Decimal` would read: only what the API documents, up to
    9,999,999,999.99."""
    if not _MONEY.fullmatch(text):
        msg = 'money is a string of ASCII digits with at most two decimals, e.g. "1200.00"'
        raise ImplausibleInputError(msg)
    return Decimal(text).quantize(CENT)


@dataclass(frozen=True)
class TextKind:
    """A kind of free-text field: its longest length (in characters, after NFC) and whether
    it may hold several lines."""

    max_length: int
    multiline: bool


LINE = TextKind(max_length=200, multiline=False)
"""Names, codes, references, handlers, destinations, filters."""
PARAGRAPH = TextKind(max_length=2000, multiline=True)
"""A cause's description, a refusal's reason."""
LONG_TEXT = TextKind(max_length=4000, multiline=True)
"""Notes, complaint summaries, reopening reasons."""


def plausible_text(text: str, kind: TextKind) -> str:
    """The text in Unicode NFC, line endings as `\\n`, if it is plausible for its kind.

    Refused anywhere: control characters (NUL, C0 except tab and newline in multi-line
    text, DEL, C1), lone surrogates, U+2028/U+2029, bidirectional embeddings, overrides and
    isolates; and more than `kind.max_length` characters once normalised."""
    if kind.multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    normal = unicodedata.normalize("NFC", text)
    for index, char in enumerate(normal):
        if char in BIDI_CONTROLS or (
            unicodedata.category(char) in _REFUSED_CATEGORIES
            and not (kind.multiline and char in _MULTILINE_ALLOWED)
        ):
            msg = f"character U+{ord(char):04X} at position {index} is not allowed"
            raise ImplausibleInputError(msg)
    if len(normal) > kind.max_length:
        msg = f"at most {kind.max_length} characters, got {len(normal)}"
        raise ImplausibleInputError(msg)
    return normal
