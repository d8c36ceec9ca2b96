"""Trend charts as SVG drawn on the server: severity bands, the scores, treatment markers.

No JavaScript, so the same chart goes into a page, a print view and a PDF. Every value is
escaped by format_html; the chart carries a title and description for screen readers, and
the page shows the same numbers in a table.
"""

from dataclasses import dataclass
from datetime import date

from django.utils import formats
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 150, 12, 34
# Light fills from "well" to "unwell", enough contrast for the points drawn over them.
BAND_FILLS = ("#e3f1e6", "#eef4dc", "#fbf1d6", "#fae3cf", "#f6d6d6")


# A trend drawn from more scores than this is summarised (`downsample`): the chart and its
# table stay the same size however long the history.
MAX_TREND_POINTS = 60


@dataclass(frozen=True)
class Point:
    day: date
    total: int
    band_label: str
    safety: bool = False


def downsample(points: list[Point], limit: int = MAX_TREND_POINTS) -> list[Point]:
    """At most about `limit` points that keep the shape of the series, in their order.

    Always kept: the first and last score, the lowest and highest, and every score with a
    positive safety item (those are never summarised away). The rest are split into equal
    buckets by position, each represented by its highest and lowest score, so a peak or a
    trough inside a bucket still shows.
    """
    if len(points) <= limit:
        return list(points)
    keep = {0, len(points) - 1}
    keep.add(min(range(len(points)), key=lambda i: points[i].total))
    keep.add(max(range(len(points)), key=lambda i: points[i].total))
    keep.update(i for i, p in enumerate(points) if p.safety)
    # Two points (highest and lowest) per bucket for what room is left.
    buckets = max((limit - len(keep)) // 2, 1)
    inner = range(1, len(points) - 1)
    size = len(inner) / buckets
    for b in range(buckets):
        chunk = inner[int(b * size) : int((b + 1) * size)]
        if chunk:
            keep.add(min(chunk, key=lambda i: points[i].total))
            keep.add(max(chunk, key=lambda i: points[i].total))
    return [points[i] for i in sorted(keep)]


def _n(value: float) -> str:
    # format_html escapes its arguments into strings, so numbers are formatted first.
    return f"{value:.1f}"


def _x(day: date, first: date, last: date) -> float:
    span = (last - first).days
    plot = WIDTH - LEFT - RIGHT
    if span == 0:
        return LEFT + plot / 2
    return LEFT + plot * (day - first).days / span


def _y(value: float, top_value: int) -> float:
    plot = HEIGHT - TOP - BOTTOM
    return TOP + plot * (1 - value / top_value)


def trend_svg(
    *,
    chart_id: str,
    title: str,
    max_total: int,
    bands,
    points: list[Point],
    markers=(),
    count: int | None = None,
) -> SafeString:
    """One scale's scores over time. `bands`: instrument bands; `markers`: (day, label);
    `count`: how many scores `points` summarise, if they were downsampled."""
    if not points:
        return mark_safe("")  # noqa: S308 - constant
    first = min([p.day for p in points] + [d for d, _label in markers if d >= points[0].day])
    last = max([p.day for p in points] + [d for d, _label in markers if d <= points[-1].day])
    markers = [(d, label) for d, label in markers if first <= d <= last]
    parts = []
    for index, band in enumerate(bands):
        y_top = _y(min(band.high + 1, max_total), max_total) if band.high < max_total else TOP
        y_bottom = _y(band.low, max_total)
        fill = BAND_FILLS[min(index * (len(BAND_FILLS) - 1) // max(len(bands) - 1, 1), 4)]
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"></rect>'
                '<text x="{}" y="{}" class="band-label">{} ({}–{})</text>',
                LEFT,
                _n(y_top),
                WIDTH - LEFT - RIGHT,
                _n(max(y_bottom - y_top, 0)),
                fill,
                WIDTH - RIGHT + 6,
                _n((y_top + y_bottom) / 2 + 4),
                band.label,
                band.low,
                band.high,
            )
        )
    # Axes: 0 and the maximum on the left, first and last day below.
    parts.append(
        format_html(
            '<line x1="{l}" y1="{b}" x2="{r}" y2="{b}" class="axis"></line>'
            '<text x="{tx}" y="{b}" class="tick" text-anchor="end">0</text>'
            '<text x="{tx}" y="{t}" class="tick" text-anchor="end">{max}</text>'
            '<text x="{l}" y="{d}" class="tick">{first}</text>'
            '<text x="{r}" y="{d}" class="tick" text-anchor="end">{last}</text>',
            l=LEFT,
            r=WIDTH - RIGHT,
            b=HEIGHT - BOTTOM,
            t=TOP + 10,
            tx=LEFT - 6,
            d=HEIGHT - BOTTOM + 18,
            max=max_total,
            first=formats.date_format(first, "d.m.Y"),
            last=formats.date_format(last, "d.m.Y"),
        )
    )
    for day, label in markers:
        x = _x(day, first, last)
        parts.append(
            format_html(
                '<g class="marker"><title>{}: {}</title>'
                '<line x1="{x}" y1="{t}" x2="{x}" y2="{b}"></line>'
                '<path d="M{x} {t} l-4 -8 h8 z"></path></g>',
                formats.date_format(day, "d.m.Y"),
                label,
                x=_n(x),
                t=TOP + 8,
                b=HEIGHT - BOTTOM,
            )
        )
    coordinates = [(_x(p.day, first, last), _y(p.total, max_total), p) for p in points]
    if len(coordinates) > 1:
        parts.append(
            format_html(
                '<polyline class="trend" points="{}"></polyline>',
                " ".join(f"{x:.1f},{y:.1f}" for x, y, _p in coordinates),
            )
        )
    parts.append(
        format_html_join(
            "",
            '<g class="point"><title>{}: {} ({})</title>'
            '<circle cx="{}" cy="{}" r="5"></circle></g>',
            (
                (formats.date_format(p.day, "d.m.Y"), p.total, p.band_label, _n(x), _n(y))
                for x, y, p in coordinates
            ),
        )
    )
    latest = points[-1]
    description = _("%(count)s scores from %(first)s to %(last)s; latest %(total)s (%(band)s).") % {
        "count": count if count is not None else len(points),
        "first": formats.date_format(points[0].day, "d.m.Y"),
        "last": formats.date_format(latest.day, "d.m.Y"),
        "total": latest.total,
        "band": latest.band_label,
    }
    return format_html(
        '<svg class="trend-chart" viewBox="0 0 {w} {h}" role="img" '
        'aria-labelledby="{id}-title {id}-desc" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{body}</svg>',
        w=WIDTH,
        h=HEIGHT,
        id=chart_id,
        title=title,
        desc=description,
        body=mark_safe("".join(parts)),  # noqa: S308 - each part built by format_html
    )
