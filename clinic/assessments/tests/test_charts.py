"""The server-side trend chart: bands, points, treatment markers, escaping."""

from datetime import date

from clinic.assessments.charts import Point, trend_svg
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
