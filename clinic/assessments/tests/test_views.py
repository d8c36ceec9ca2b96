"""Staff pages: entering a scale, the chart section, outcomes, and the administrators' pages."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.assessments import services
from clinic.assessments.models import (
    AlertEvent,
    Assessment,
    LicensedText,
    OnDutyPhysician,
    SafetyAlert,
    ScaleSettings,
    Schedule,
    SelfReportLink,
)
from clinic.assessments.tests.factories import make_assessment, make_course, phq9_with_total
from clinic.conftest import make_patient
from clinic.core.models import AuditEvent, OutboxMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(kyiv):
    return make_patient(kyiv, "K-1", phone="+380671234567")


def signed_in(client, users, role, site="kyiv"):
    client.force_login(users[(role, site)])
    return client


def enter_url(patient, scale):
    return f"/staff/assessments/patients/{patient.public_id}/enter/?scale={scale}"


def post_items(answers):
    return {f"item_{i}": "" if a is None else str(a) for i, a in enumerate(answers)}


def test_a_nurse_enters_a_phq9_and_sees_the_score(client, users, patient):
    signed_in(client, users, Role.NURSE)
    page = client.get(enter_url(patient, "phq9")).content.decode()
    assert page.count('type="radio"') == 36
    assert "Суспільне надбання" in page  # the licence status shows on the form
    response = client.post(enter_url(patient, "phq9"), post_items([2, 2, 1, 1, 1, 1, 1, 1, 0]))
    assessment = Assessment.objects.get()
    assert response["Location"] == f"/staff/assessments/{assessment.public_id}/"
    assert (assessment.total, assessment.band, assessment.status) == (10, "moderate", "completed")
    assert assessment.entered_by == users[(Role.NURSE, "kyiv")]
    detail = client.get(response["Location"]).content.decode()
    assert "<strong>10</strong>" in detail
    assert AuditEvent.objects.filter(action="assessment.recorded", patient=patient).exists()


def test_it_rejects_a_form_with_an_item_missing_and_writes_nothing(client, users, patient):
    signed_in(client, users, Role.NURSE)
    data = post_items([2, 2, 1, 1, 1, 1, 1, 1, 0])
    del data["item_8"]
    response = client.post(enter_url(patient, "phq9"), data)
    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()
    assert not Assessment.objects.exists()


@pytest.mark.parametrize("value", ["9", "-1", "\x00", "1" * 40, "x"])
def test_bad_item_values_are_refused(client, users, patient, value):
    signed_in(client, users, Role.NURSE)
    data = post_items([0] * 9)
    data["item_3"] = value
    response = client.post(enter_url(patient, "phq9"), data)
    assert response.status_code in (200, 400)
    assert not Assessment.objects.exists()


def test_licensed_scales_show_item_names_only_until_the_text_is_uploaded(client, users, patient):
    signed_in(client, users, Role.PHYSICIAN)
    page = client.get(enter_url(patient, "epds")).content.decode()
    assert "Пункт 10 — думки про самоушкодження" in page
    assert "The thought of harming myself" not in page
    assert "Авторське право" in page
    text = "\n\n".join(
        f"Ліцензоване питання {n}\nперший\nдругий\nтретій\nчетвертий" for n in range(1, 11)
    )
    admin = signed_in(client, users, Role.ADMINISTRATOR)
    admin.post(
        "/staff/assessments/licensed-texts/",
        {"code": "epds", "language": "uk", "permission": "RCPsych 2026/17", "text": text},
    )
    assert LicensedText.objects.filter(code="epds", language="uk").exists()
    signed_in(client, users, Role.PHYSICIAN)
    page = client.get(enter_url(patient, "epds")).content.decode()
    assert "Ліцензоване питання 10" in page and "RCPsych 2026/17" in page


def test_a_malformed_licensed_text_is_refused_and_nothing_stored(client, users):
    signed_in(client, users, Role.ADMINISTRATOR)
    response = client.post(
        "/staff/assessments/licensed-texts/",
        {"code": "epds", "language": "uk", "permission": "x", "text": "одне питання\nтак\nні"},
    )
    assert response.status_code == 200
    assert "EPDS" in response.content.decode()
    assert not LicensedText.objects.exists()
    upload = SimpleUploadedFile("epds.txt", b"\xff\xfe\x00bad", content_type="text/plain")
    client.post(
        "/staff/assessments/licensed-texts/",
        {"code": "epds", "language": "uk", "permission": "x", "file": upload},
    )
    assert not LicensedText.objects.exists()
    assert not AuditEvent.objects.filter(action="assessment.licensed_text.uploaded").exists()


def test_the_cssrs_form_accepts_the_skip_pattern(client, users, patient):
    signed_in(client, users, Role.PHYSICIAN)
    client.post(enter_url(patient, "cssrs"), post_items([1, 0, None, None, None, 0, None]))
    assessment = Assessment.objects.get()
    assert assessment.band == "low" and assessment.total is None


def test_an_unknown_scale_is_not_found(client, users, patient):
    signed_in(client, users, Role.NURSE)
    assert client.get(enter_url(patient, "hamd")).status_code == 404
    assert client.get(enter_url(patient, "")).status_code == 404


def test_another_sites_patient_cannot_be_scored(client, users, lviv):
    other = make_patient(lviv, "L-1")
    signed_in(client, users, Role.NURSE)
    response = client.post(enter_url(other, "phq9"), post_items([0] * 9))
    assert response.status_code == 404
    assert not Assessment.objects.exists()
    assert AuditEvent.objects.filter(outcome="denied", patient=other).exists()


def test_reception_sees_no_scores_on_the_chart_but_clinicians_do(client, users, patient):
    make_assessment(patient, "phq9", phq9_with_total(17))
    signed_in(client, users, Role.RECEPTIONIST)
    page = client.get(f"/staff/patients/{patient.public_id}/").content.decode()
    assert "trend-chart" not in page and "PHQ-9" not in page
    assert (
        client.get(f"/staff/assessments/{Assessment.objects.get().public_id}/").status_code == 403
    )
    signed_in(client, users, Role.PSYCHOTHERAPIST)
    page = client.get(f"/staff/patients/{patient.public_id}/").content.decode()
    assert "trend-chart" in page and "PHQ-9" in page


def test_the_chart_section_costs_the_same_queries_whatever_the_history(
    client, users, patient, django_assert_max_num_queries
):
    signed_in(client, users, Role.PHYSICIAN)
    make_assessment(patient, "phq9", phq9_with_total(20), days_ago=30)
    make_assessment(patient, "gad7", [1] * 7, days_ago=30)
    client.get(f"/staff/patients/{patient.public_id}/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(f"/staff/patients/{patient.public_id}/")
    course = make_course(patient)
    for days in range(29, 0, -1):
        make_assessment(patient, "phq9", phq9_with_total(days % 20), days_ago=days, course=course)
        make_assessment(patient, "madrs", [days % 6] * 10, days_ago=days)
    for _ in range(5):
        services.issue_self_report_link(patient, "phq9", actor=User.objects.system_actor())
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get(f"/staff/patients/{patient.public_id}/").content.decode()
    assert page.count("<circle") == 2 + 58


def test_five_hundred_scores_cost_the_same_queries_and_a_bounded_chart(
    client, users, patient, django_assert_max_num_queries
):
    from clinic.assessments.charts import MAX_TREND_POINTS

    signed_in(client, users, Role.PHYSICIAN)
    for days in range(5, 0, -1):
        make_assessment(patient, "phq9", phq9_with_total(days * 3), days_ago=days)
    client.get(f"/staff/patients/{patient.public_id}/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(f"/staff/patients/{patient.public_id}/")
    for days in range(900, 405, -1):
        make_assessment(patient, "phq9", phq9_with_total(days % 25), days_ago=days)
    make_assessment(patient, "phq9", phq9_with_total(4, item9=1), days_ago=600)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get(f"/staff/patients/{patient.public_id}/").content.decode()
    chart = page.split('class="trend-chart"')[1].split("</svg>")[0]
    assert chart.count("<circle") <= MAX_TREND_POINTS + 2
    assert "501" in chart.split("<desc")[1].split("</desc>")[0]
    # The score with a positive safety item is never summarised away.
    assert f"{_day(600)}: 4 (" in chart


def _day(days_ago):
    from django.utils import timezone

    return timezone.localdate(timezone.now() - timedelta(days=days_ago)).strftime("%d.%m.%Y")


def test_the_trend_shows_each_score_and_the_table_repeats_it(client, users, patient):
    make_assessment(patient, "phq9", phq9_with_total(20), days_ago=28)
    make_assessment(patient, "phq9", phq9_with_total(9), days_ago=0)
    signed_in(client, users, Role.PHYSICIAN)
    page = client.get(f"/staff/patients/{patient.public_id}/").content.decode()
    assert page.count('class="point"') == 2
    assert "<td>20</td>" in page and "<td>9</td>" in page
    assert "відповідь на лікування" in page  # 55 % drop: response
    assert 'role="img"' in page


def test_marking_an_entry_in_error_needs_a_reason_and_takes_it_off_the_trend(
    client, users, patient
):
    assessment = make_assessment(patient, "phq9", phq9_with_total(12))
    signed_in(client, users, Role.NURSE)
    url = f"/staff/assessments/{assessment.public_id}/in-error/"
    client.post(url, {"reason": ""})
    assert Assessment.objects.get().status == "completed"
    client.post(url, {"reason": "Не той пацієнт"})
    assessment.refresh_from_db()
    assert assessment.status == "entered_in_error" and assessment.entered_in_error
    assert assessment.strike_out_reason == "Не той пацієнт"
    assert assessment.struck_out_by == users[(Role.NURSE, "kyiv")]
    page = client.get(f"/staff/patients/{patient.public_id}/").content.decode()
    assert "trend-chart" not in page


def test_sending_a_link_from_the_chart_uses_the_outbox(client, users, patient):
    signed_in(client, users, Role.NURSE)
    response = client.post(
        f"/staff/assessments/patients/{patient.public_id}/send-link/", {"code": "phq9"}
    )
    assert response.status_code == 302
    assert OutboxMessage.objects.get().recipient == "+380671234567"
    assert SelfReportLink.objects.count() == 1


def test_without_a_channel_the_link_is_shown_once_and_not_stored(client, users, kyiv):
    quiet = make_patient(kyiv, "K-9", preferred_channel="none")
    signed_in(client, users, Role.NURSE)
    response = client.post(
        f"/staff/assessments/patients/{quiet.public_id}/send-link/", {"code": "phq9"}
    )
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    link = SelfReportLink.objects.get()
    token = response.content.decode().split("anketa/")[1].split("/")[0]
    assert services.hash_token(token) == link.token_hash
    assert not OutboxMessage.objects.exists()


def test_a_licensed_scale_cannot_be_sent_as_a_link(client, users, patient):
    signed_in(client, users, Role.NURSE)
    client.post(f"/staff/assessments/patients/{patient.public_id}/send-link/", {"code": "epds"})
    assert not SelfReportLink.objects.exists() and not Assessment.objects.exists()


def build_outcomes(kyiv, lviv):
    """Three Kyiv courses (responder in remission, responder, non-responder), one in Lviv."""
    rows = [
        ("K-1", kyiv, "trd", 20, 4),
        ("K-2", kyiv, "trd", 20, 9),
        ("K-3", kyiv, "perinatal", 18, 16),
        ("L-1", lviv, "trd", 22, 3),
    ]
    for number, site, condition, baseline, latest in rows:
        patient = make_patient(site, number)
        course = make_course(patient, condition=condition, started_days_ago=60)
        make_assessment(patient, "phq9", phq9_with_total(baseline), days_ago=56, course=course)
        make_assessment(patient, "phq9", phq9_with_total(latest), days_ago=1, course=course)
    # A single score has no follow-up and is not counted.
    make_assessment(make_patient(kyiv, "K-4"), "phq9", phq9_with_total(15))


def test_the_outcomes_page_counts_response_and_remission(client, users, kyiv, lviv):
    build_outcomes(kyiv, lviv)
    signed_in(client, users, Role.PHYSICIAN)
    page = client.get("/staff/assessments/outcomes/?code=phq9").content.decode()
    assert "3 курси з повторною оцінкою" in page
    assert "відповіли на лікування — 2 (67 %)" in page
    assert "у ремісії — 1 (33 %)" in page
    assert "Перинатальна (післяпологова) депресія" in page
    assert AuditEvent.objects.filter(action="assessment.outcomes.report_viewed").exists()


def test_the_outcomes_page_is_complete_in_english(client, users, kyiv, lviv):
    build_outcomes(kyiv, lviv)
    signed_in(client, users, Role.ADMINISTRATOR)
    client.post("/i18n/setlang/", {"language": "en", "next": "/staff/"})
    page = client.get("/staff/assessments/outcomes/").content.decode()
    assert "3 courses with follow-up" in page
    assert "2 responded (67 %)" in page and "1 in remission (33 %)" in page


def test_the_csv_export_is_audited_and_translated(client, users, kyiv, lviv):
    build_outcomes(kyiv, lviv)
    signed_in(client, users, Role.ADMINISTRATOR)
    response = client.get("/staff/assessments/outcomes/export.csv?code=phq9")
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:3] == ["Шкала", "Розріз", "Група"]
    assert rows[1] == ["PHQ-9", "Усі", "Усі", "3", "2", "67", "1", "33"]
    assert AuditEvent.objects.filter(action="assessment.outcomes.exported").count() == 1
    client.post("/i18n/setlang/", {"language": "en", "next": "/staff/"})
    english = b"".join(
        client.get("/staff/assessments/outcomes/export.csv").streaming_content
    ).decode()
    assert english.lstrip("\ufeff").startswith("Scale;Breakdown;Group")


def test_the_csv_export_neutralises_formulas(client, users, kyiv):
    patient = make_patient(kyiv, "K-1")
    course = make_course(patient)
    make_assessment(patient, "phq9", phq9_with_total(20), days_ago=30, course=course)
    make_assessment(patient, "phq9", phq9_with_total(5), days_ago=1, course=course)
    kyiv.name_uk = kyiv.name_en = '=HYPERLINK("http://evil")'
    kyiv.save()
    signed_in(client, users, Role.ADMINISTRATOR)
    text = b"".join(client.get("/staff/assessments/outcomes/export.csv").streaming_content).decode()
    assert "'=HYPERLINK" in text
    assert "\n=HYPERLINK" not in text and ";=HYPERLINK" not in text


def test_the_outcomes_page_keeps_its_query_count_as_data_grows(
    client, users, kyiv, lviv, django_assert_max_num_queries
):
    build_outcomes(kyiv, lviv)
    signed_in(client, users, Role.PHYSICIAN)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get("/staff/assessments/outcomes/")
    with CaptureQueriesContext(connection) as small:
        client.get("/staff/assessments/outcomes/")
    for n in range(30):
        patient = make_patient(kyiv, f"K-{100 + n}")
        course = make_course(patient, condition="ptsd" if n % 2 else "trd")
        make_assessment(patient, "phq9", phq9_with_total(18), days_ago=20, course=course)
        make_assessment(patient, "phq9", phq9_with_total(n % 18), days_ago=2, course=course)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get("/staff/assessments/outcomes/").status_code == 200


def test_nurses_cannot_see_the_directors_outcomes(client, users):
    signed_in(client, users, Role.NURSE)
    assert client.get("/staff/assessments/outcomes/").status_code == 403
    assert client.get("/staff/assessments/outcomes/export.csv").status_code == 403


def test_administrators_change_a_threshold_with_its_source(client, users):
    signed_in(client, users, Role.ADMINISTRATOR)
    client.post(
        "/staff/assessments/settings/madrs/",
        {"remission_max": "12", "response_pct": "50", "alert_item_min": "2", "provenance": "Наказ"},
    )
    row = ScaleSettings.objects.get(code="madrs")
    assert (row.remission_max, row.alert_item_min, row.provenance) == (12, 2, "Наказ")
    assert AuditEvent.objects.filter(action="assessment.settings.changed").exists()
    response = client.post(
        "/staff/assessments/settings/madrs/",
        {"remission_max": "99", "response_pct": "50", "provenance": "x"},
    )
    assert response.status_code == 200
    assert ScaleSettings.objects.get(code="madrs").remission_max == 12


def test_the_link_validity_is_clinic_configurable(client, users, patient):
    signed_in(client, users, Role.ADMINISTRATOR)
    client.post(
        "/staff/assessments/settings/",
        {"link_valid_hours": "24", "escalate_after_minutes": "15", "provenance": "Рішення ради"},
    )
    link, _token = services.issue_self_report_link(
        patient, "phq9", actor=User.objects.system_actor()
    )
    assert round((link.expires_at - link.created_at).total_seconds() / 3600) == 24
    refused = client.post(
        "/staff/assessments/settings/",
        {"link_valid_hours": "100000", "escalate_after_minutes": "15", "provenance": "x"},
    )
    assert refused.status_code == 200


def test_schedules_are_created_paused_and_refused_for_licensed_scales(client, users):
    signed_in(client, users, Role.PHYSICIAN)
    client.post(
        "/staff/assessments/schedules/",
        {
            "code": "phq9",
            "kind": "before_visit",
            "visit_type_code": "ketamine_infusion",
            "reminder_after_hours": "12",
        },
    )
    schedule = Schedule.objects.get()
    assert schedule.visit_type_code == "ketamine_infusion" and schedule.is_active
    client.post(f"/staff/assessments/schedules/{schedule.public_id}/toggle/")
    assert not Schedule.objects.get().is_active
    client.post(
        "/staff/assessments/schedules/",
        {
            "code": "epds",
            "kind": "every_n_days",
            "interval_days": "14",
            "reminder_after_hours": "24",
        },
    )
    client.post(
        "/staff/assessments/schedules/",
        {"code": "phq9", "kind": "every_n_days", "reminder_after_hours": "24"},
    )
    assert Schedule.objects.count() == 1


def test_administrators_keep_the_on_duty_rota(client, users, lviv):
    signed_in(client, users, Role.ADMINISTRATOR)
    kyiv_physician = users[(Role.PHYSICIAN, "kyiv")]
    client.post(
        "/staff/assessments/on-duty/",
        {
            "site": kyiv_physician.sites.first().pk,
            "physician": kyiv_physician.pk,
            "starts_on": "2026-12-01",
            "ends_on": "2026-12-07",
        },
    )
    entry = OnDutyPhysician.objects.get()
    assert entry.physician == kyiv_physician
    client.post(
        "/staff/assessments/on-duty/",
        {
            "site": lviv.pk,
            "physician": kyiv_physician.pk,
            "starts_on": "2026-12-01",
            "ends_on": "2026-12-07",
        },
    )
    assert OnDutyPhysician.objects.count() == 1
    client.post(f"/staff/assessments/on-duty/{entry.public_id}/remove/")
    assert not OnDutyPhysician.objects.exists()
    assert AuditEvent.objects.filter(action="assessment.on_duty.removed").exists()


def test_the_sweep_sends_due_links_once_per_due_day(kyiv, users):
    patient = make_patient(kyiv, "K-1", phone="+380671234567")
    make_course(patient, condition="ptsd", started_days_ago=3)
    Schedule.objects.create(
        code="pcl5",
        kind="every_n_days",
        interval_days=30,
        condition="ptsd",
        created_by=users[(Role.PHYSICIAN, "kyiv")],
    )
    Schedule.objects.create(
        code="phq9",
        kind="every_n_days",
        interval_days=7,
        condition="trd",
        created_by=users[(Role.PHYSICIAN, "kyiv")],
    )
    from django.core.management import call_command

    call_command("send_due_assessments")
    call_command("send_due_assessments")
    link = SelfReportLink.objects.get()
    assert link.assessment.code == "pcl5" and link.assessment.schedule is not None
    assert OutboxMessage.objects.count() == 1


def test_the_alerts_page_keeps_its_query_count(client, users, kyiv, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    nurse = users[(Role.NURSE, "kyiv")]
    services.record_assessment(
        make_patient(kyiv, "K-50"),
        "phq9",
        phq9_with_total(3, 1),
        actor=nurse,
        safety_confirmed=True,
    )
    signed_in(client, users, Role.PHYSICIAN)
    client.get("/staff/assessments/alerts/")
    with CaptureQueriesContext(connection) as small:
        client.get("/staff/assessments/alerts/")
    for n in range(15):
        services.record_assessment(
            make_patient(kyiv, f"K-{60 + n}"),
            "phq9",
            phq9_with_total(3, 1),
            actor=nurse,
            safety_confirmed=True,
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get("/staff/assessments/alerts/").content.decode()
    assert page.count('class="flagged"') == 16


def test_the_patient_outcomes_page_shows_each_course_and_keeps_its_query_count(
    client, users, patient, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = make_course(patient, started_days_ago=90, title="Перший курс")
    make_assessment(patient, "phq9", phq9_with_total(20), days_ago=89, course=first)
    make_assessment(patient, "phq9", phq9_with_total(8), days_ago=60, course=first)
    signed_in(client, users, Role.PHYSICIAN)
    url = f"/staff/assessments/patients/{patient.public_id}/outcomes/"
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    second = make_course(patient, started_days_ago=30, title="Другий курс")
    for days in range(29, 0, -2):
        make_assessment(patient, "phq9", phq9_with_total(days % 15), days_ago=days, course=second)
        make_assessment(patient, "madrs", [days % 5] * 10, days_ago=days, course=second)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get(url).content.decode()
    assert "Перший курс" in page and "Другий курс" in page
    assert "<td>60</td>" in page  # 20 -> 8: a 60 % drop in the first course
    assert AuditEvent.objects.filter(action="assessment.outcomes.viewed", patient=patient).exists()


def test_a_refused_assessment_change_is_shown_audited_once_and_writes_nothing(
    client, users, patient
):
    from django.contrib.messages import get_messages

    assessment = make_assessment(patient, "phq9", phq9_with_total(12))
    services.mark_assessment_in_error(
        assessment, reason="Не той пацієнт", actor=users[(Role.NURSE, "kyiv")]
    )
    signed_in(client, users, Role.NURSE)
    client.cookies["django_language"] = "en"
    before = AuditEvent.objects.count()
    url = f"/staff/assessments/{assessment.public_id}/in-error/"
    response = client.post(url, {"reason": "Ще раз"})
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.strike_out_reason == "Не той пацієнт"
    assert AuditEvent.objects.count() == before + 1
    refusal = AuditEvent.objects.get(outcome=AuditEvent.Outcome.DENIED)
    assert refusal.action == "record.strike_out.refused" and refusal.patient == patient
    assert [str(m) for m in get_messages(response.wsgi_request)] == [refusal.reason]
    assert refusal.reason == "This entry is already marked as entered in error."


# --- scores on the form, and confirming a positive safety item ------------------------------

EPDS_NONE = [0, 0, 3, 0, 3, 3, 3, 3, 3, 3]  # every item at the option scoring 0
EPDS_ITEM10_SCORES_2 = EPDS_NONE[:9] + [1]  # item 10 reverse-scored: 2nd option scores 2


def option_labels(page, index):
    """The labels of item `index`'s options, in printed order."""
    found = re.findall(rf'name="item_{index}" value="(\d+)"[^>]*>\s*([^<]+?)\s*</label>', page)
    return [label for _value, label in sorted(found, key=lambda pair: int(pair[0]))]


def in_english(client):
    client.cookies["django_language"] = "en"
    return client


def test_unshipped_epds_shows_what_each_option_scores_reversed_items_too(client, users, patient):
    in_english(signed_in(client, users, Role.NURSE))
    page = client.get(enter_url(patient, "epds")).content.decode()
    assert option_labels(page, 0) == [
        "1st option as printed — 0 points",
        "2nd option as printed — 1 point",
        "3rd option as printed — 2 points",
        "4th option as printed — 3 points",
    ]
    for index in (2, 4, 5, 6, 7, 8, 9):  # items 3, 5-10 (Cox 1987)
        assert option_labels(page, index) == [
            "1st option as printed — 3 points",
            "2nd option as printed — 2 points",
            "3rd option as printed — 1 point",
            "4th option as printed — 0 points",
        ]
    assert "Item 10 — thoughts of self-harm" in page
    madrs = client.get(enter_url(patient, "madrs")).content.decode()
    assert option_labels(madrs, 9) == [f"{n} point{'' if n == 1 else 's'}" for n in range(7)]


def test_the_ukrainian_form_names_the_scores_with_their_plural_forms(client, users, patient):
    signed_in(client, users, Role.NURSE)
    page = client.get(enter_url(patient, "epds")).content.decode()
    labels = option_labels(page, 9)
    assert [label.split(" — ")[1] for label in labels] == ["3 бали", "2 бали", "1 бал", "0 балів"]
    assert "бал" not in labels[0].split(" — ")[0]


def test_uploaded_wording_is_shown_with_the_score_of_each_option(client, users, patient):
    text = "\n\n".join(f"Licensed question {n}\nfirst\nsecond\nthird\nfourth" for n in range(1, 11))
    services.upload_licensed_text(
        code="epds",
        language="en",
        raw=text,
        permission="RCPsych 2026/17",
        actor=users[(Role.ADMINISTRATOR, "kyiv")],
    )
    in_english(signed_in(client, users, Role.NURSE))
    page = client.get(enter_url(patient, "epds")).content.decode()
    assert "10. Licensed question 10" in page
    assert option_labels(page, 0)[0] == "first — 0 points"
    assert option_labels(page, 9) == [
        "first — 3 points",
        "second — 2 points",
        "third — 1 point",
        "fourth — 0 points",
    ]


def test_cssrs_answers_stay_yes_and_no(client, users, patient):
    in_english(signed_in(client, users, Role.NURSE))
    page = client.get(enter_url(patient, "cssrs")).content.decode()
    assert option_labels(page, 3) == ["No", "Yes"]


def nothing_written():
    return not (
        Assessment.objects.exists()
        or SafetyAlert.objects.exists()
        or AlertEvent.objects.exists()
        or OutboxMessage.objects.exists()
        or AuditEvent.objects.filter(action="assessment.recorded").exists()
    )


@pytest.mark.parametrize(
    "scale,answers,named",
    [
        ("epds", EPDS_ITEM10_SCORES_2, "Item 10 — thoughts of self-harm scored 2"),
        ("phq9", phq9_with_total(6, item9=1), "Item 9 — Thoughts of death or self-harm scored 1"),
        (
            "cssrs",
            [1, 1, 0, 1, 0, 0, None],
            "Q4 — intent, without a specific plan (past month): Yes",
        ),
    ],
)
def test_an_unconfirmed_positive_safety_item_writes_nothing(
    client, users, patient, scale, answers, named
):
    in_english(signed_in(client, users, Role.NURSE))
    response = client.post(enter_url(patient, scale), post_items(answers))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="confirm-safety" role="alert"' in page
    assert named in page
    assert "the on-duty physician" in page and "Nothing has been saved yet." in page
    key = ",".join("" if a is None else str(a) for a in answers)
    assert f'name="confirm" value="{key}"' in page
    # The answers are kept on the form, to check against the paper.
    assert page.count("checked") == sum(a is not None for a in answers)
    assert nothing_written()
    asked = AuditEvent.objects.get(action="assessment.safety_confirmation_needed")
    assert asked.patient == patient and asked.outcome == AuditEvent.Outcome.DENIED


def test_a_confirmed_positive_safety_item_saves_the_entry_and_raises_the_alert(
    client, users, patient
):
    signed_in(client, users, Role.NURSE)
    data = post_items(EPDS_ITEM10_SCORES_2)
    client.post(enter_url(patient, "epds"), data)
    assert nothing_written()
    response = client.post(enter_url(patient, "epds"), {**data, "confirm": "0,0,3,0,3,3,3,3,3,1"})
    assessment = Assessment.objects.get()
    assert response["Location"] == f"/staff/assessments/{assessment.public_id}/"
    assert (assessment.answers, assessment.total, assessment.safety) == (
        EPDS_ITEM10_SCORES_2,
        2,
        True,
    )
    alert = SafetyAlert.objects.get(assessment=assessment)
    assert alert.flag_list == ["epds_item10"]
    assert list(OutboxMessage.objects.values_list("recipient", flat=True)) == [
        users[(Role.PHYSICIAN, "kyiv")].email
    ]
    assert AuditEvent.objects.filter(action="assessment.alert.raised", patient=patient).exists()


def test_a_confirmation_holds_only_for_the_answers_it_was_shown(client, users, patient):
    signed_in(client, users, Role.NURSE)
    shown = post_items(EPDS_ITEM10_SCORES_2)
    client.post(enter_url(patient, "epds"), shown)
    changed = post_items(EPDS_NONE[:9] + [0])  # item 10 changed to score 3 before confirming
    response = client.post(
        enter_url(patient, "epds"), {**changed, "confirm": "0,0,3,0,3,3,3,3,3,1"}
    )
    assert response.status_code == 200
    assert 'name="confirm" value="0,0,3,0,3,3,3,3,3,0"' in response.content.decode()
    assert nothing_written()


def test_a_corrected_entry_without_a_safety_item_saves_without_confirmation(client, users, patient):
    signed_in(client, users, Role.NURSE)
    client.post(enter_url(patient, "epds"), post_items(EPDS_ITEM10_SCORES_2))
    response = client.post(
        enter_url(patient, "epds"),
        {**post_items(EPDS_NONE), "confirm": "0,0,3,0,3,3,3,3,3,1"},
    )
    assert response.status_code == 302
    assert Assessment.objects.get().safety is False
    assert not SafetyAlert.objects.exists() and not OutboxMessage.objects.exists()


@pytest.mark.parametrize(
    "scale,answers",
    [
        ("epds", EPDS_NONE),
        ("phq9", phq9_with_total(20, item9=0)),
        ("madrs", [3] * 9 + [0]),
        ("cssrs", [1, 1, 0, 0, 0, 0, None]),  # low risk: no safety flag
    ],
)
def test_negative_safety_items_need_no_confirmation(client, users, patient, scale, answers):
    signed_in(client, users, Role.NURSE)
    response = client.post(enter_url(patient, scale), post_items(answers))
    assert response.status_code == 302
    assert Assessment.objects.get().safety is False
    assert not SafetyAlert.objects.exists()
    assert not AuditEvent.objects.filter(action="assessment.safety_confirmation_needed").exists()
