"""The server-side trend chart: bands, points, treatment markers, escaping."""

from datetime import date, timedelta

from clinic.assessments.charts import Point, downsample, trend_svg
from clinic.assessments.instruments import get


def chart(points, markers=()):
    phq9 = get("phq9")
    return str(
        trend_svg(
            chart_id="t",
            title="PHQ-9",
            max_total=27,
            bands=phq9.bands,
            points=points,
            markers=markers,
        )
    )


def test_it_draws_one_band_per_severity_and_one_point_per_score():
    svg = chart([Point(date(2026, 11, 1), 20, "severe"), Point(date(2026, 11, 29), 4, "minimal")])
    assert svg.count("<rect") == 5
    assert svg.count("<circle") == 2
    assert "<polyline" in svg
    assert 'role="img"' in svg and 'aria-labelledby="t-title t-desc"' in svg
    # The later, lower score sits lower on the chart (a larger y).
    ys = [float(part.split('cy="')[1].split('"')[0]) for part in svg.split("<circle")[1:]]
    assert ys[1] > ys[0]


def test_treatment_markers_inside_the_period_are_drawn_and_labels_escaped():
    svg = chart(
        [Point(date(2026, 11, 1), 20, "severe"), Point(date(2026, 11, 29), 9, "mild")],
        markers=[
            (date(2026, 11, 5), "Інфузія 1 <script>alert(1)</script>"),
            (date(2025, 1, 1), "long before"),
        ],
    )
    assert svg.count('class="marker"') == 1
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "long before" not in svg


def test_a_single_score_is_centred_and_no_line_is_drawn():
    svg = chart([Point(date(2026, 11, 1), 12, "moderate")])
    assert svg.count("<circle") == 1 and "<polyline" not in svg


def test_no_scores_no_chart():
    assert chart([]) == ""


def series(totals, safety_at=()):
    start = date(2020, 1, 1)
    return [
        Point(start + timedelta(days=i), total, "band", i in safety_at)
        for i, total in enumerate(totals)
    ]


def test_a_short_series_is_drawn_whole():
    points = series([5, 6, 7])
    assert downsample(points, 60) == points


def test_a_long_series_keeps_ends_extremes_and_safety_scores_within_the_limit():
    totals = [10 + (i % 7) for i in range(500)]
    totals[123], totals[321] = 27, 0
    points = series(totals, safety_at={5, 250, 499})
    kept = downsample(points, 60)
    assert len(kept) <= 62
    assert kept[0] == points[0] and kept[-1] == points[-1]
    for index in (123, 321, 5, 250):
        assert points[index] in kept
    assert kept == sorted(kept, key=lambda p: p.day)


def test_the_description_counts_every_score_when_the_chart_is_summarised():
    kept = series([3, 9])
    svg = str(
        trend_svg(
            chart_id="t",
            title="PHQ-9",
            max_total=27,
            bands=get("phq9").bands,
            points=kept,
            count=500,
        )
    )
    assert "500" in svg.split("<desc")[1].split("</desc>")[0]
