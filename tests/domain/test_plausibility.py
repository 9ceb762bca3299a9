"""Plausible input: the date window given today, ASCII money, clean and bounded free text."""

from __future__ import annotations

import unicodedata
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.plausibility import (
    BIDI_CONTROLS,
    LINE,
    LONG_TEXT,
    PARAGRAPH,
    DateKind,
    ImplausibleInputError,
    TextKind,
    check_business_date,
    latest_date,
    parse_business_date,
    parse_money,
    plausible_text,
)

TODAY = date(2026, 11, 30)


def check(value: date, kind: DateKind, horizon_days: int = 730) -> date:
    return check_business_date(value, kind, today=TODAY, horizon_days=horizon_days)


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize("kind", list(DateKind))
def test_no_business_date_before_2000(kind: DateKind) -> None:
    assert check(date(2000, 1, 1), kind) == date(2000, 1, 1)
    with pytest.raises(ImplausibleInputError, match="before 2000-01-01"):
        check(date(1999, 12, 31), kind)


def test_a_fact_may_be_dated_today_or_tomorrow_but_no_later() -> None:
    assert check(TODAY, DateKind.HAPPENED) == TODAY
    assert check(date(2026, 12, 1), DateKind.HAPPENED) == date(2026, 12, 1)
    with pytest.raises(ImplausibleInputError, match="in the future"):
        check(date(2026, 12, 2), DateKind.HAPPENED)
    with pytest.raises(ImplausibleInputError):
        check(date(9999, 12, 31), DateKind.HAPPENED)


def test_a_planned_date_may_lie_up_to_the_horizon_ahead() -> None:
    assert latest_date(DateKind.PLANNED, today=TODAY, horizon_days=730) == date(2028, 11, 29)
    assert check(date(2028, 11, 29), DateKind.PLANNED) == date(2028, 11, 29)
    with pytest.raises(ImplausibleInputError, match="too far ahead"):
        check(date(2028, 11, 30), DateKind.PLANNED)
    assert check(date(2026, 12, 10), DateKind.PLANNED, horizon_days=10) == date(2026, 12, 10)
    with pytest.raises(ImplausibleInputError):
        check(date(2026, 12, 11), DateKind.PLANNED, horizon_days=10)


@pytest.mark.parametrize(
    "text",
    [
        "2026-02-30",
        "02/03/2026",
        "20260302",
        "\uff12\uff10\uff12\uff16-03-02",
        "2026-3-2",
        " 2026-03-02",
    ],
)
def test_a_business_date_is_a_real_day_written_yyyy_mm_dd_in_ascii(text: str) -> None:
    with pytest.raises(ImplausibleInputError):
        parse_business_date(text)


def test_a_business_date_parses() -> None:
    assert parse_business_date("2026-03-02") == date(2026, 3, 2)


# ---------------------------------------------------------------- money


@pytest.mark.parametrize(
    ("text", "amount"), [("1200", "1200.00"), ("0.5", "0.50"), ("9999999999.99", "9999999999.99")]
)
def test_money_in_ascii_digits_is_read_to_the_cent(text: str, amount: str) -> None:
    assert parse_money(text) == Decimal(amount)


@pytest.mark.parametrize(
    "text",
    [
        "\uff11\uff12\uff13.00",  # full-width digits: Decimal would read them
        "\u0661\u0662\u0663.00",  # Arabic-Indic digits
        "1e3",
        "-5.00",
        "+5.00",
        "1,200.00",
        "1 200.00",
        "1.005",
        "12345678901.00",
        "",
        ".50",
        "NaN",
        "12.00\n",
    ],
)
def test_money_in_anything_but_ascii_digits_is_refused(text: str) -> None:
    with pytest.raises(ImplausibleInputError, match="ASCII digits"):
        parse_money(text)


# ---------------------------------------------------------------- free text


def test_text_is_normalised_to_nfc() -> None:
    decomposed = "Ame\u0301lie Lefe\u0300vre"
    assert plausible_text(decomposed, LINE) == "Amélie Lefèvre"
    assert plausible_text(decomposed, LINE) == unicodedata.normalize("NFC", decomposed)


@pytest.mark.parametrize(
    "char",
    [
        "\x00",  # NUL: PostgreSQL cannot store it in text
        "\x07",
        "\x1b",
        "\x7f",
        "\x85",  # C1 next line
        "\u2028",
        "\u2029",
        *sorted(BIDI_CONTROLS),  # U+202A-U+202E, U+2066-U+2069
    ],
)
@pytest.mark.parametrize("kind", [LINE, PARAGRAPH, LONG_TEXT])
def test_control_and_bidi_override_characters_are_refused_in_any_text(
    char: str, kind: TextKind
) -> None:
    with pytest.raises(ImplausibleInputError, match=f"U\\+{ord(char):04X} at position 3"):
        plausible_text(f"abc{char}def", kind)


def test_a_lone_surrogate_is_refused() -> None:
    with pytest.raises(ImplausibleInputError, match="U\\+D800"):
        plausible_text("a\ud800b", LONG_TEXT)


def test_newline_and_tab_are_allowed_in_multiline_text_only() -> None:
    assert plausible_text("called\tback\nno answer", LONG_TEXT) == "called\tback\nno answer"
    assert plausible_text("reason\none", PARAGRAPH) == "reason\none"
    for char in "\n\t\r":
        with pytest.raises(ImplausibleInputError):
            plausible_text(f"Jeanne{char}Martin", LINE)


def test_line_endings_of_multiline_text_become_newlines() -> None:
    assert plausible_text("one\r\ntwo\rthree", LONG_TEXT) == "one\ntwo\nthree"


def test_direction_marks_and_joiners_stay_allowed() -> None:
    text = "\u200f\u05e9\u05dc\u05d5\u05dd\u200e \U0001f468\u200d\U0001f469 \u00ad"
    assert plausible_text(text, LINE) == text


def test_length_is_bounded_by_kind_after_normalisation() -> None:
    assert plausible_text("x" * 200, LINE) == "x" * 200
    with pytest.raises(ImplausibleInputError, match="at most 200 characters, got 201"):
        plausible_text("x" * 201, LINE)
    # 200 decomposed letters are 400 code points on the wire, 200 characters once composed.
    assert plausible_text("e\u0301" * 200, LINE) == "é" * 200
    assert len(plausible_text("y" * 2000, PARAGRAPH)) == 2000
    with pytest.raises(ImplausibleInputError):
        plausible_text("y" * 2001, PARAGRAPH)
    assert len(plausible_text("z" * 4000, LONG_TEXT)) == 4000
    with pytest.raises(ImplausibleInputError):
        plausible_text("z" * 4001, LONG_TEXT)


@given(st.text(max_size=50))
def test_plausible_text_is_nfc_and_clean_or_refused(text: str) -> None:
    try:
        result = plausible_text(text, LONG_TEXT)
    except ImplausibleInputError:
        return
    assert unicodedata.is_normalized("NFC", result)
    assert not any(
        c in BIDI_CONTROLS or (unicodedata.category(c) in ("Cc", "Cs") and c not in "\n\t")
        for c in result
    )
