"""The dashboard's charts, drawn on the server as SVG (docs/adr/0024): no chart library in
the browser, nothing to download, and nothing inline that the pages' Content-Security-Policy
would refuse (SVG presentation attributes are not styles).

Colours are fixed per code (a status, a clock, a contract by its place in the catalogue), so
a contract or a status has the same colour whatever the day shown. A chart with nothing to
show says so ("aucune donnée") instead of drawing empty axes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup

# Okabe-Ito and Tol's colour-blind-safe palettes, in a fixed order.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#882255",
    "#117733",
    "#332288",
    "#999933",
    "#44AA99",
    "#AA4499",
)


def colour(position: int) -> str:
    return PALETTE[position % len(PALETTE)]


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    shown: str  # the value as the page writes it (Babel-formatted)
    colour: str


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float | None]
    colour: str


def _empty(chart_id: str, nothing: str) -> Markup:
    return Markup('<p class="empty" id="{}">{}</p>').format(chart_id, nothing)


def _svg(chart_id: str, title: str, width: float, height: float) -> Markup:
    return Markup(
        '<svg id="{}" class="chart" role="img" viewBox="0 0 {} {}" '
        'preserveAspectRatio="xMinYMin meet"><title>{}</title>'
    ).format(chart_id, width, height, title)


def bars(chart_id: str, title: str, items: Sequence[Bar], nothing: str) -> Markup:
    """Horizontal bars, one row each, the value written at the bar's end."""
    if not items or not any(item.value for item in items):
        return _empty(chart_id, nothing)
    top = max(item.value for item in items)
    row, label_width, bar_width = 26, 200, 300
    parts = [_svg(chart_id, title, label_width + bar_width + 80, row * len(items) + 4)]
    for index, item in enumerate(items):
        y = index * row + 2
        width = round(bar_width * item.value / top, 1) if top else 0
        parts.append(
            Markup(
                '<g class="bar"><text x="{}" y="{}" text-anchor="end">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{} : {}</title></rect>'
                '<text x="{}" y="{}">{}</text></g>'
            ).format(
                label_width - 6,
                y + 17,
                item.label,
                label_width,
                y + 3,
                width,
                row - 8,
                item.colour,
                item.label,
                item.shown,
                label_width + width + 6,
                y + 17,
                item.shown,
            )
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def lines(
    chart_id: str,
    title: str,
    x_labels: Sequence[str],
    series: Sequence[Series],
    nothing: str,
    shown: Callable[[float], str],
) -> Markup:
    """Percentages (0-100) over the x labels, one polyline and its points per series, with
    the legend under the chart. A missing value (nothing to measure) breaks the line."""
    if not any(v is not None for s in series for v in s.values):
        return _empty(chart_id, nothing)
    left, top, width, height = 50, 10, 560, 200
    step = width / max(len(x_labels) - 1, 1)
    legend_rows = (len(series) + 1) // 2

    def x(i: int) -> float:
        return round(left + i * step, 1)

    def y(v: float) -> float:
        return round(top + height * (1 - v / 100), 1)

    parts = [_svg(chart_id, title, left + width + 30, top + height + 30 + legend_rows * 20)]
    for tick in (0, 25, 50, 75, 100):
        parts.append(
            Markup(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#e3e6ec"/>'
                '<text x="{}" y="{}" text-anchor="end" class="tick">{}</text>'
            ).format(left, left + width, y(tick), y(tick), left - 6, y(tick) + 4, shown(tick))
        )
    for i, name in enumerate(x_labels):
        if i % 2 == (len(x_labels) - 1) % 2:  # every other month, the last one always
            parts.append(
                Markup('<text x="{}" y="{}" text-anchor="middle" class="tick">{}</text>').format(
                    x(i), top + height + 16, name
                )
            )
    for index, s in enumerate(series):
        parts.append(Markup('<g class="series" data-series="{}">').format(s.label))
        run: list[str] = []
        for i, value in enumerate([*s.values, None]):
            if value is None:
                if len(run) > 1:
                    parts.append(
                        Markup(
                            '<polyline fill="none" stroke="{}" stroke-width="2" points="{}"/>'
                        ).format(s.colour, " ".join(run))
                    )
                run = []
                continue
            run.append(f"{x(i)},{y(value)}")
            parts.append(
                Markup(
                    '<circle cx="{}" cy="{}" r="3" fill="{}"><title>{}, {} : {}</title></circle>'
                ).format(x(i), y(value), s.colour, s.label, x_labels[i], shown(value))
            )
        parts.append(Markup("</g>"))
        lx = left + (index % 2) * (width // 2)
        ly = top + height + 34 + (index // 2) * 20
        parts.append(
            Markup(
                '<rect x="{}" y="{}" width="12" height="12" fill="{}"/>'
                '<text x="{}" y="{}">{}</text>'
            ).format(lx, ly - 9, s.colour, lx + 18, ly + 2, s.label)
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)
