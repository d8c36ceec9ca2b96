"""In Chromium, on a phone-sized screen: a nurse starts today's infusion from its visit page
and from the chair board; both pages pass axe."""

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from clinic.accounts.roles import Role
from clinic.conftest import make_patient
from clinic.treatment.models import InfusionSession
from clinic.treatment.tests.factories import make_chair, make_course, make_visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def narrow_page(browser, live_server, user):
    client = Client()
    client.force_login(user)
    # axe is injected as a script, so this context bypasses the CSP (as the site-wide test does).
    context = browser.new_context(bypass_csp=True, viewport={"width": 360, "height": 740})
    host = live_server.url.split("//")[1].split(":")[0]
    cookie = client.cookies["sessionid"].value
    context.add_cookies([{"name": "sessionid", "value": cookie, "domain": host, "path": "/"}])
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


def check_page(page, axe_path):
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.add_script_tag(path=axe_path)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    assert [(v["id"], v["nodes"][0]["target"]) for v in result["violations"]] == []


def test_a_nurse_starts_todays_infusions_from_the_visit_and_from_the_board(
    browser, live_server, axe_path, kyiv, users
):
    # Midday on the site, so that both visits fall on today's board whatever the hour of the run.
    kyiv_time = timezone.get_current_timezone()
    midday = datetime.combine(timezone.localdate(), time(12), tzinfo=kyiv_time)
    with time_machine.travel(midday, tick=True):
        start_both_infusions(browser, live_server, axe_path, kyiv, users)


def start_both_infusions(browser, live_server, axe_path, kyiv, users):
    nurse, physician = users[(Role.NURSE, "kyiv")], users[(Role.PHYSICIAN, "kyiv")]
    visits = []
    for n in (1, 2):
        patient = make_patient(kyiv, f"K-070{n}", physician=physician)
        make_course(patient, physician)
        chair = make_chair(kyiv, f"Крісло {n}")
        # Back to back, as PostgreSQL refuses two visits of one nurse at the same time.
        starts_at = timezone.now() - timedelta(minutes=70 * (n - 1))
        visits.append(
            make_visit(
                patient,
                code="ketamine_infusion",
                practitioner=nurse,
                room=chair,
                starts_at=starts_at,
            )
        )
    context, page = narrow_page(browser, live_server, nurse)
    try:
        page.goto(f"{live_server.url}/staff/schedule/appointments/{visits[0].public_id}/")
        check_page(page, axe_path)
        page.get_by_role("button", name="Розпочати сеанс інфузії").click()
        page.wait_for_url("**/treatment/infusions/**")
        first = InfusionSession.objects.get(appointment=visits[0])
        assert page.url.endswith(f"/staff/treatment/infusions/{first.public_id}/")

        page.goto(f"{live_server.url}/staff/board/")
        check_page(page, axe_path)
        waiting = page.locator(".awaiting-list li")
        assert waiting.count() == 1
        waiting.get_by_role("button", name="Розпочати сеанс інфузії").click()
        page.wait_for_url("**/treatment/infusions/**")
        assert InfusionSession.objects.get(appointment=visits[1]).chair.name == "Крісло 2"
    finally:
        context.close()
