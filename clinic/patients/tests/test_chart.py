from datetime import timedelta

import pytest
from django.utils import timezone

from clinic.accounts.roles import Role
from clinic.core.models import AuditEvent
from clinic.patients import chart, services
from clinic.patients.tests.factories import make_intake, make_registered, make_trial

pytestmark = pytest.mark.django_db


def chart_url(patient):
    return f"/staff/patients/{patient.public_id}/"


def test_physician_sees_trd_status_stage_and_reasons(client, users, kyiv):
    patient = make_registered(kyiv)
    make_intake(patient)
    make_trial(patient, "sertraline", dose=100)
    make_trial(patient, "venlafaxine", dose=150)
    make_trial(patient, "amitriptyline", dose=25)
    client.force_login(users[(Role.PHYSICIAN, "kyiv")])
    page = client.get(chart_url(patient)).content.decode()
    assert 'id="trd-status">так<' in page
    assert 'id="thase-rush">II<' in page
    assert "Можлива псевдорезистентність" in page
    assert "нижче мінімуму" in page


def test_receptionist_sees_demographics_and_consents_but_no_clinical_content(client, users, kyiv):
    patient = make_registered(kyiv)
    make_intake(patient, allergies="пеніцилін")
    make_trial(patient)
    client.force_login(users[(Role.RECEPTIONIST, "kyiv")])
    page = client.get(chart_url(patient)).content.decode()
    assert patient.full_name in page
    assert 'id="consents"' in page
    for clinical in (
        'id="intake"',
        'id="history"',
        'id="resistance"',
        'id="ketamine"',
        'id="notes"',
        "пеніцилін",
        "Сертралін",
        'id="trd-status"',
    ):
        assert clinical not in page, clinical


def test_every_chart_view_is_audited(client, users, kyiv):
    patient = make_registered(kyiv)
    client.force_login(users[(Role.NURSE, "kyiv")])
    client.get(chart_url(patient))
    client.get(chart_url(patient))
    assert AuditEvent.objects.filter(action="patient.chart.viewed", patient=patient).count() == 2


def test_the_chart_query_count_does_not_grow_with_the_history(
    client, users, kyiv, django_assert_max_num_queries
):
    patient = make_registered(kyiv)
    physician = users[(Role.PHYSICIAN, "kyiv")]
    make_intake(patient)
    make_trial(patient)
    services.write_note(patient, kind="consultation", text="Перша консультація", actor=physician)
    client.force_login(physician)
    with django_assert_max_num_queries(80) as few:
        client.get(chart_url(patient))
    today = timezone.localdate()
    for i in range(12):
        make_intake(patient, episode_count=i + 1)
        make_trial(patient, "escitalopram", started_on=today - timedelta(weeks=60 + i * 10))
        services.write_note(patient, kind="consultation", text=f"Візит {i}", actor=physician)
        services.record_weight(patient, weight_kg=70 + i, measured_on=today, actor=physician)
        consent = services.record_consent(
            patient,
            purpose="treatment",
            given=True,
            channel="paper",
            given_at=timezone.now(),
            actor=physician,
        )
        # The same consent is recorded again only after a withdrawal.
        services.withdraw_consent(consent, actor=physician)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(chart_url(patient))
    assert response.status_code == 200


def unframed_section_for_test(patient, user):
    return chart.ChartSection(
        "example", "Example", "patients/_msm_band.html", {"band": "mild"}, framed=False
    )


def test_a_section_gets_its_context_as_variables_and_may_bring_its_own_frame(
    client, users, kyiv, monkeypatch
):
    monkeypatch.setattr(
        chart, "SECTIONS", ["clinic.patients.tests.test_chart.unframed_section_for_test"]
    )
    patient = make_registered(kyiv)
    client.force_login(users[(Role.PHYSICIAN, "kyiv")])
    page = client.get(chart_url(patient)).content.decode()
    assert '<div class="chart-section" id="example">легка резистентність</div>' in page
    assert 'id="example-title"' not in page


def active_course_for_test(patient, user):
    return ("Active course", "Ketamine, 3 of 6")


def test_other_apps_add_facts_to_the_summary(client, users, kyiv, monkeypatch):
    from clinic.patients import chart

    monkeypatch.setattr(
        chart, "HEADER_FACTS", ["clinic.patients.tests.test_chart.active_course_for_test"]
    )
    patient = make_registered(kyiv)
    client.force_login(users[(Role.PHYSICIAN, "kyiv")])
    assert "Ketamine, 3 of 6" in client.get(chart_url(patient)).content.decode()
    client.force_login(users[(Role.RECEPTIONIST, "kyiv")])
    assert "Ketamine, 3 of 6" not in client.get(chart_url(patient)).content.decode()


@pytest.mark.parametrize("provider", chart.SECTIONS)
def test_each_section_loads_in_a_fixed_number_of_queries(users, kyiv, provider):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils.module_loading import import_string

    from clinic.patients import selectors

    physician = users[(Role.PHYSICIAN, "kyiv")]
    patient = make_registered(kyiv, physician=physician)
    section = import_string(provider)

    def count():
        selectors.forget(patient)
        with CaptureQueriesContext(connection) as queries:
            section(patient, physician)
        return len(queries)

    def add_history(n):
        today = timezone.localdate()
        for i in range(n):
            make_intake(patient, episode_count=i + 1)
            make_trial(patient, "escitalopram", started_on=today - timedelta(weeks=60 + i * 10))
            services.write_note(patient, kind="psychotherapy", text=f"С{i}", actor=physician)
            services.record_weight(patient, weight_kg=70 + i, measured_on=today, actor=physician)
            services.record_blood_pressure(
                patient, systolic=120 + i, diastolic=80, measured_on=today, actor=physician
            )
            consent = services.record_consent(
                patient,
                purpose="treatment",
                given=True,
                channel="paper",
                given_at=timezone.now(),
                actor=physician,
            )
            # The same consent is recorded again only after a withdrawal.
            services.withdraw_consent(consent, actor=physician)
            services.receive_privacy_request(
                patient, kind="access", received_on=today, actor=physician
            )

    add_history(1)
    count()  # the first call also loads the user's roles and sites (cached on the user)
    small = count()
    add_history(10)
    assert count() == small
