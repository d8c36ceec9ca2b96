"""Quantities are shown with the page's decimal separator and without a tail of zeros."""

import uuid
from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from clinic.patients.assessment import _number


def chart_section():
    course = SimpleNamespace(
        public_id=uuid.uuid4(),
        get_modality_display="IV",
        indication="TRD",
        done=3,
        planned_sessions=6,
        is_ketamine=True,
        # A sum of DecimalFields keeps the widest scale: 31.8 came out as "31,8000000000000".
        cumulative_mg=Decimal("31.8000000000000"),
    )
    session = SimpleNamespace(
        public_id=uuid.uuid4(),
        created_at=datetime(2026, 12, 1),
        get_status_display="done",
        administered_mg=Decimal("10.600"),
    )
    return {"section": SimpleNamespace(courses=[course], infusions=[session], tes_sessions=[])}


@pytest.mark.parametrize(
    ("language", "shown", "raw"), [("uk", "31,8", "31,80"), ("en", "31.8", "31.80")]
)
def test_the_chart_shows_the_cumulative_dose_in_the_page_language(language, shown, raw):
    with translation.override(language):
        html = render_to_string("treatment/_chart_section.html", chart_section())
    assert shown in html and raw not in html
    assert ("10,6" if language == "uk" else "10.6") in html and "10,600" not in html


def test_rule_explanations_use_the_page_decimal_separator():
    with translation.override("uk"):
        assert _number(Decimal("37.50")) == "37,5"
        assert _number(Decimal("150.00")) == "150"
    with translation.override("en"):
        assert _number(Decimal("37.50")) == "37.5"
