"""The manager's dashboard as of any day: figures, paged clock lists and SVG charts
(services/http/charts.py, docs/adr/0024). No health data on it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from dateutil.relativedelta import relativedelta
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from domain.sla import ClockKind, ClockState
from domain.values import ClaimStatus
from projections.dashboard.queries import dashboard
from projections.paging import BadCursor
from projections.sla.queries import ClockPage, count_states_on, page_clocks
from services.http import charts, i18n
from services.http.pages import (
    PAGE_SIZE,
    _as_of,
    _bad_as_of_page,
    _BadAsOfError,
    _guard,
    _invalid,
    _language,
    templates,
)

router = APIRouter(include_in_schema=False)

CLOCK_LISTS = {"breached": ClockState.BREACHED, "at_risk": ClockState.AT_RISK}


def _month_ends(as_of: date, months: int = 12) -> list[date]:
    ends = []
    for back in range(months - 1, 0, -1):
        first = as_of.replace(day=1) - relativedelta(months=back - 1)
        ends.append(first - timedelta(days=1))
    return [*ends, as_of]


@dataclass(frozen=True)
class ClockList:
    """One of the dashboard's clock lists: a page of it, its true size and links around it."""

    total: int
    page: ClockPage
    next_url: str | None
    previous_url: str | None


def _clock_lists(request: Request, as_of: date, figures: dict[str, Any]) -> dict[str, ClockList]:
    """The breached and at-risk lists, each paged by its own `<list>_after` or `<list>_before`
    cursor (the other list's stays in the links). BadCursor names the bad parameter."""
    runner = request.app.state.runner
    calendar = request.app.state.claims.calendar
    cursors = {
        f"{name}_{side}": request.query_params[f"{name}_{side}"]
        for name in CLOCK_LISTS
        for side in ("after", "before")
        if f"{name}_{side}" in request.query_params
    }

    def link(name: str, side: str, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        kept = {k: v for k, v in cursors.items() if not k.startswith(f"{name}_")}
        query = urlencode({"as_of": as_of.isoformat(), **kept, f"{name}_{side}": cursor})
        return f"/dashboard?{query}#{name.replace('_', '-')}"

    lists = {}
    for name, state in CLOCK_LISTS.items():
        after, before = cursors.get(f"{name}_after"), cursors.get(f"{name}_before")
        try:
            page = page_clocks(
                runner.store,
                calendar,
                as_of=as_of,
                state=state,
                limit=PAGE_SIZE,
                after=after,
                before=before,
            )
        except BadCursor as exc:
            raise BadCursor(f"{name}_after" if after else f"{name}_before") from exc
        lists[name] = ClockList(
            total=figures[f"{name}_clocks"],
            page=page,
            next_url=link(name, "after", page.next_cursor),
            previous_url=link(name, "before", page.previous_cursor),
        )
    return lists


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(request: Request) -> Response:
    who = _guard(request, "dashboard")
    if isinstance(who, Response):
        return who
    try:
        as_of = _as_of(request)
    except _BadAsOfError as bad:
        return _bad_as_of_page(request, bad)
    runner = request.app.state.runner
    figures = dashboard(runner.store, as_of)
    try:
        clock_lists = _clock_lists(request, as_of, figures)
    except BadCursor as exc:
        return _invalid(request, str(exc), "not a cursor of this list; start from its first page")
    lang = _language(request)
    ages = figures["ageing"]
    context = {
        "as_of": as_of,
        "figures": figures,
        # What each figure means, in the page's language (the API gives them in English).
        "definitions": {
            key: i18n.gettext(lang, text) for key, text in figures["definitions"].items()
        },
        "breached": clock_lists["breached"],
        "at_risk": clock_lists["at_risk"],
        "page_size": PAGE_SIZE,
        "over_30": ages["31-60"] + ages["61-90"] + ages["over-90"],
        "over_60": ages["61-90"] + ages["over-90"],
        "over_90": ages["over-90"],
        "charts": _dashboard_charts(request, lang, as_of, figures),
    }
    return templates.TemplateResponse(request, "dashboard.html", context)


def _dashboard_charts(
    request: Request, lang: str, as_of: date, figures: dict[str, Any]
) -> dict[str, Markup]:
    """The dashboard's four charts as SVG (services/http/charts.py), each colour fixed by its
    code's place in a fixed order (clock kinds, statuses, the catalogue's contracts)."""
    runner = request.app.state.runner
    nothing = i18n.gettext(lang, "no data")
    insurer_clocks = [
        k for k in ClockKind if k not in (ClockKind.MEDIATION_REFERRAL, ClockKind.PRESCRIPTION)
    ]
    month_ends = _month_ends(as_of)
    by_month = count_states_on(runner.store, month_ends)
    series = []
    for position, kind in enumerate(insurer_clocks):
        values: list[float | None] = []
        for day in month_ends:
            states = by_month[day][kind.value]
            done = states["met"] + states["missed"]
            values.append(round(100 * states["met"] / done, 1) if done else None)
        series.append(
            charts.Series(i18n.label(lang, "clock", kind), values, charts.colour(position))
        )
    months = [i18n.day(lang, day, "MMM yy") for day in month_ends]
    stages = figures["complaint_stages"]
    contracts = sorted(request.app.state.claims.catalogue.contracts)
    by_contract = figures["by_contract"]
    return {
        "sla": charts.lines(
            "chart-sla",
            i18n.gettext(lang, "SLA compliance (% met, month ends)"),
            months,
            series,
            nothing,
            lambda v: i18n.percent(lang, v),
        ),
        "complaints": charts.bars(
            "chart-complaints",
            i18n.gettext(lang, "Complaint and mediation stages reached"),
            [
                charts.Bar(
                    i18n.label(lang, "stage", stage),
                    count,
                    i18n.number(lang, count),
                    charts.colour(position),
                )
                for position, (stage, count) in enumerate(stages.items())
            ],
            nothing,
        ),
        "status": charts.bars(
            "chart-status",
            i18n.gettext(lang, "Claims by status"),
            [
                charts.Bar(
                    i18n.label(lang, "status", status),
                    figures["by_status"].get(status.value, 0),
                    i18n.number(lang, figures["by_status"].get(status.value, 0)),
                    charts.colour(position),
                )
                for position, status in enumerate(ClaimStatus)
            ],
            nothing,
        ),
        "contract": charts.bars(
            "chart-contract",
            i18n.gettext(lang, "Claims by contract"),
            [
                charts.Bar(
                    code,
                    by_contract.get(code, 0),
                    i18n.number(lang, by_contract.get(code, 0)),
                    charts.colour(position),
                )
                for position, code in enumerate(
                    [*contracts, *sorted(set(by_contract) - set(contracts))]
                )
            ],
            nothing,
        ),
    }
