from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from django.utils import translation

from clinic.treatment.vitals_chart import vitals_svg


def reading(minutes):
    return SimpleNamespace(
        measured_at=datetime(2026, 12, 1, 10, 0) + timedelta(minutes=minutes),
        systolic=120,
        diastolic=80,
        heart_rate=70,
        spo2=98,
        entered_in_error=False,
    )


@pytest.mark.parametrize(
    ("language", "legend", "other"), [("en", "Heart rate", "ЧСС"), ("uk", "ЧСС", "Heart rate")]
)
def test_the_legend_is_in_the_page_language(language, legend, other):
    with translation.override(language):
        svg = vitals_svg([reading(0), reading(10)])
    assert legend in svg and other not in svg
