"""The vitals of a session as a small SVG, the same in the page and in the PDF.

Drawn with presentation attributes only (no <style>), so the page's CSP allows it inline and
WeasyPrint renders it unchanged. Only numbers and translated labels go in; all escaped.
"""

from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 14, 34
SERIES = (
    # (attribute, colour, label) — colours tell apart in grey print too (dashes differ).
    # Lazy labels: the module is imported once, the legend is drawn in each page's language.
    ("systolic", "#a32020", "", gettext_lazy("Systolic")),
    ("diastolic", "#1f5f8b", "6 3", gettext_lazy("Diastolic")),
    ("heart_rate", "#1d6b3a", "2 3", gettext_lazy("Heart rate")),
    ("spo2", "#6b3fa0", "10 4", gettext_lazy("SpO2")),
)


def _n(value: float) -> str:
    return f"{value:.1f}"


def vitals_svg(readings, *, started_at=None) -> str:
    """SVG markup for the readings (oldest first); empty string when there are none."""
    readings = [r for r in readings if not r.entered_in_error]
    if not readings:
        return ""
    origin = started_at or readings[0].measured_at
    minutes = [max(0.0, (r.measured_at - origin).total_seconds() / 60) for r in readings]
    span = max(max(minutes), 30.0)
    low, high = 40, 220

    def x(m):
        return LEFT + (WIDTH - LEFT - RIGHT) * m / span

    def y(v):
        v = min(max(v, low), high)
        return TOP + (HEIGHT - TOP - BOTTOM) * (high - v) / (high - low)

    grid = format_html_join(
        "",
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#d5dae1" stroke-width="1"/>'
        '<text x="{}" y="{}" font-size="10" text-anchor="end" fill="#5b6472">{}</text>',
        (
            (LEFT, _n(y(v)), WIDTH - RIGHT, _n(y(v)), LEFT - 4, _n(y(v) + 3), v)
            for v in range(low, high + 1, 30)
        ),
    )
    step = 10 if span <= 120 else 30
    ticks = format_html_join(
        "",
        '<text x="{}" y="{}" font-size="10" text-anchor="middle" fill="#5b6472">{}</text>',
        ((_n(x(m)), HEIGHT - BOTTOM + 14, m) for m in range(0, int(span) + 1, step)),
    )
    lines = []
    legend = []
    for n, (attr, colour, dash, label) in enumerate(SERIES):
        points = [
            (_n(x(m)), _n(y(getattr(r, attr)))) for m, r in zip(minutes, readings, strict=True)
        ]
        path = " ".join(f"{px},{py}" for px, py in points)
        lines.append(
            format_html(
                '<polyline points="{}" fill="none" stroke="{}" stroke-width="2"'
                ' stroke-dasharray="{}"/>',
                path,
                colour,
                dash or "none",
            )
        )
        lines.append(
            format_html_join(
                "",
                '<circle cx="{}" cy="{}" r="2.5" fill="{}"/>',
                ((px, py, colour) for px, py in points),
            )
        )
        lx = LEFT + n * 130
        legend.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="2"'
                ' stroke-dasharray="{}"/>'
                '<text x="{}" y="{}" font-size="11" fill="#1c2430">{}</text>',
                lx,
                HEIGHT + 2,
                lx + 18,
                HEIGHT + 2,
                colour,
                dash or "none",
                lx + 22,
                HEIGHT + 6,
                label,
            )
        )
    title = _("Vital signs over time (minutes from the start)")
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="100%" role="img"'
        ' aria-label="{}" class="vitals-chart"><title>{}</title>{}{}{}{}</svg>',
        WIDTH,
        HEIGHT + 12,
        title,
        title,
        grid,
        ticks,
        format_html_join("", "{}", ((piece,) for piece in lines)),
        format_html_join("", "{}", ((piece,) for piece in legend)),
    )
