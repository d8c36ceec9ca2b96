"""A course patient on a 360 px phone: signs in with a code read from the outbox, is refused a
move that breaks the days between infusions (with the reason), moves the infusion within the
policy, fills the due PHQ-9, sees the released chart, downloads their data and sees the staff
access log. axe-core finds no violation on the portal's pages."""

from datetime import datetime, time, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clinic.accounts.roles import Role
from clinic.assessments import services as assessments
from clinic.assessments.tests.test_browser import run_axe
from clinic.core.records import sign_note
from clinic.core.tests.test_browser import browser  # noqa: F401
from clinic.courses.tests.factories import make_care_course
from clinic.portal import services
from clinic.portal.tests.conftest import last_code
from clinic.scheduling import services as scheduling
from clinic.scheduling.availability import find_slots
from clinic.scheduling.clock import KYIV
from clinic.scheduling.models import Appointment
from clinic.scheduling.tests.conftest import clinic, visit  # noqa: F401
from clinic.treatment import services as treatment
from clinic.website.tests.test_accessibility import axe_path  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "+380501112233"
SUMMARY = "Ми говорили про сон і про супровід після інфузії."


def weekdays(first, count):
    day, found = first, []
    while len(found) < count:
        if day.isoweekday() <= 5:
            found.append(day)
        day += timedelta(days=1)
    return found


def first_slot(appointment, day):
    """The first free time of the day: the page lists it first."""
    slots = find_slots(
        appointment.visit_type,
        sites=[appointment.site],
        first_day=day,
        last_day=day,
        patient=appointment.patient,
        exclude=appointment,
    )
    return slots[0]


@pytest.fixture
def story(clinic, visit, kyiv, users):  # noqa: F811
    from decimal import Decimal

    from clinic.conftest import make_patient

    kyiv.crisis_line = "7333"
    kyiv.save()
    physician = users[(Role.PHYSICIAN, "kyiv")]
    nurse = users[(Role.NURSE, "kyiv")]
    patient = make_patient(kyiv, "K-0001", phone=PHONE, given_name="Олена")
    course = make_care_course(patient, opened_days_ago=3, planned_sessions=6, physician=physician)
    course.modality, course.target_dose_mg_per_kg = "iv_ketamine", Decimal("0.5")
    course.infusion_minutes, course.ketamine_consent_confirmed = 40, True
    course.save()
    services.save_policy(
        kyiv,
        values={
            "notice_hours": 24,
            "movable_visit_types": [visit["follow_up"]],
            "infusion_visit_types": [visit["ketamine_infusion"]],
            "min_days_between_infusions": 2,
            "search_days": 14,
            "provenance": "Test policy (UNCONFIRMED)",
        },
        actor=physician,
    )
    today = timezone.localdate()
    days = weekdays(today + timedelta(days=2), 8)
    first_day, second_day = days[0], days[4]
    chair = clinic["kyiv"]["chair1"]
    _series, (first, second) = scheduling.book_series(
        patient,
        visit_type=visit["ketamine_infusion"],
        site=kyiv,
        occurrences=[
            (datetime.combine(d, time(10), tzinfo=KYIV), nurse, chair)
            for d in (first_day, second_day)
        ],
        actor=physician,
        course=course,
    )
    # A score from last month, released to the patient; a PHQ-9 due now.
    assessments.record_assessment(patient, "phq9", [2] * 8 + [0], actor=physician)
    services.release_scores(patient, actor=physician)
    assessments.issue_self_report_link(patient, "phq9", actor=physician)
    services.invite_patient(patient, actor=users[(Role.RECEPTIONIST, "kyiv")])
    # A signed integration note with a summary the physician released to the patient.
    note = treatment.write_session_note(
        patient, kind="integration", held_on=today, text="Клінічна нотатка", actor=physician
    )
    note = sign_note(note, actor=physician)
    services.write_summary(note, text=SUMMARY, actor=physician)
    services.release_summary(note, actor=physician)
    # The physician opens the chart: the access log must show it.
    staff = Client()
    staff.force_login(physician)
    assert staff.get(reverse("patients:chart", args=[patient.public_id])).status_code == 200
    near = [d for d in days if d != second_day and abs((d - second_day).days) < 2][0]
    apart = [d for d in days[1:] if abs((d - second_day).days) >= 2][0]
    return {
        "patient": patient,
        "physician": physician,
        "first": first,
        "bad": first_slot(first, near),
        "good": first_slot(first, apart),
    }


def fits(page):
    return page.locator("html").evaluate("e => e.scrollWidth") <= 360


def test_a_course_patient_uses_the_portal_on_a_phone(browser, axe_path, live_server, story):  # noqa: F811
    from playwright.sync_api import expect

    # CSP is bypassed only so that axe-core can be injected; the pages use no script.
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, bypass_csp=True
    )
    problems = {}
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(live_server.url + "/uk/portal/")
        expect(page.locator("h1")).to_have_text("Кабінет пацієнта")
        expect(page.locator(".portal-crisis")).to_contain_text("112")
        problems |= run_axe(page, axe_path, "sign-in")
        page.fill("#id_identifier", "050 111 22 33")
        page.click("main button[type=submit]")
        expect(page.locator("h1")).to_have_text("Введіть код")
        page.fill("#id_code", last_code(PHONE))
        page.click("main button[type=submit]")
        expect(page.locator("h1")).to_contain_text("Олена")
        assert fits(page)
        problems |= run_axe(page, axe_path, "home")

        first = story["first"]
        page.click(f"a[href$='/portal/visits/{first.public_id}/']")
        expect(page.locator("h2#move-title")).to_be_visible()
        assert fits(page)
        problems |= run_axe(page, axe_path, "visit")
        page.click(f"button[value='{story['bad'].key}']")
        expect(page.locator(".messages")).to_contain_text("щонайменше 2 дні")
        first.refresh_from_db()
        assert first.starts_at != story["bad"].starts_at
        page.click(f"button[value='{story['good'].key}']")
        expect(page.locator(".messages")).to_contain_text("Ваш візит перенесено")
        first.refresh_from_db()
        assert first.starts_at == story["good"].starts_at
        assert first.status == Appointment.Status.BOOKED

        page.goto(live_server.url + "/uk/portal/")
        page.click("text=Заповнити PHQ-9")
        for _ in range(9):
            page.check("input[name=answer][value='0']")
            page.click("main button[type=submit]")
        page.click("button[name=send]")
        expect(page.locator("h1")).to_have_text("Дякуємо")

        page.goto(live_server.url + "/uk/portal/progress/")
        expect(page.locator(".portal-scale svg")).to_be_visible()
        assert fits(page)
        problems |= run_axe(page, axe_path, "progress")

        page.goto(live_server.url + "/uk/portal/documents/")
        expect(page.locator("#summaries-title + article")).to_contain_text(SUMMARY)
        expect(page.locator("#summaries-title + article")).to_contain_text(
            story["physician"].full_name
        )
        assert "Клінічна нотатка" not in page.content()
        assert fits(page)
        problems |= run_axe(page, axe_path, "documents")
        with page.expect_download() as summary_pdf:
            page.click("#summaries-title + article a")
        assert summary_pdf.value.suggested_filename.startswith("session-summary-")
        with page.expect_download() as download:
            page.click("text=Завантажити (JSON)")
        assert download.value.suggested_filename == "my-record.json"

        page.goto(live_server.url + "/uk/portal/authenticator/")
        expect(page.locator("figure.totp-qr svg")).to_be_visible()
        assert fits(page)
        problems |= run_axe(page, axe_path, "authenticator")

        page.goto(live_server.url + "/uk/portal/access-log/")
        expect(page.locator("table.access-log")).to_contain_text(story["physician"].full_name)
        expect(page.locator("table.access-log")).to_contain_text("вашу картку (огляд)")
        assert fits(page)
        problems |= run_axe(page, axe_path, "access log")
    finally:
        context.close()
    assert problems == {}


TRUSTED_PHONE = "+380509990011"


def portal_sign_in(page, base, identifier, recipient):
    page.goto(base + "/portal/sign-in/")
    page.fill("#id_identifier", identifier)
    page.click("main button[type=submit]")
    page.fill("#id_code", last_code(recipient))
    page.click("main button[type=submit]")


def test_a_trusted_person_sees_only_what_was_granted(browser, axe_path, live_server, story):  # noqa: F811
    """The patient (in Ukrainian) grants "upcoming visits" only; the escort (in English) signs
    in with a code, sees the visits and nothing else, and is signed out once access is
    withdrawn."""
    from playwright.sync_api import expect

    options = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "bypass_csp": True}
    patient_context = browser.new_context(**options)
    trusted_context = browser.new_context(**options)
    problems = {}
    try:
        mine = patient_context.new_page()
        mine.set_default_timeout(10_000)
        uk = live_server.url + "/uk"
        portal_sign_in(mine, uk, "050 111 22 33", PHONE)
        expect(mine.locator("h1")).to_contain_text("Олена")
        mine.click("nav.portal-nav >> text=Довірені особи")
        expect(mine.locator("h1")).to_have_text("Довірені особи")
        mine.fill("#id_name", "Ірина Коваль")
        mine.select_option("#id_relation", "escort")
        mine.fill("#id_contact", "050 999 00 11")
        mine.check("input[name=scopes][value=visits]")
        mine.click("section[aria-labelledby=grant-title] button[type=submit]")
        expect(mine.locator(".trusted-person h3")).to_contain_text("Ірина Коваль")
        assert fits(mine)
        problems |= run_axe(mine, axe_path, "trusted people")

        theirs = trusted_context.new_page()
        theirs.set_default_timeout(10_000)
        en = live_server.url + "/en"
        portal_sign_in(theirs, en, "+380 50 999 00 11", TRUSTED_PHONE)
        expect(theirs.locator(".portal-trusted")).to_contain_text(
            "You are viewing as a trusted person of"
        )
        expect(theirs.locator(".portal-crisis")).to_contain_text("112")
        first = story["first"]
        expect(theirs.locator(f"a[href$='/portal/visits/{first.public_id}/']")).to_be_visible()
        assert fits(theirs)
        problems |= run_axe(theirs, axe_path, "trusted home")
        theirs.click(f"a[href$='/portal/visits/{first.public_id}/']")
        expect(theirs.locator("h2#confirmation-title")).to_be_visible()
        assert theirs.locator("h2#move-title").count() == 0
        problems |= run_axe(theirs, axe_path, "trusted visit")
        for path in ("progress/", "documents/", "my-data.json", "my-data.pdf", "access-log/"):
            response = theirs.request.get(f"{en}/portal/{path}")
            assert response.status == 404, path

        # The patient withdraws access: the escort's next page is the sign-in.
        mine.click("button:has-text('Ірина Коваль')")
        expect(mine.locator(".messages")).to_be_visible()
        theirs.goto(en + "/portal/")
        expect(theirs.locator("#id_identifier")).to_be_visible()
        assert theirs.locator(".portal-trusted").count() == 0
    finally:
        patient_context.close()
        trusted_context.close()
    assert problems == {}
