"""A nurse records SpO2 89 % in Chromium; the physician's own browser shows the alert on the
next page, the outbox holds the message, the alert escalates when nobody acknowledges it in
time, and closing it records the action."""

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from clinic.accounts.roles import Role
from clinic.assessments.models import OnDutyPhysician
from clinic.conftest import make_user
from clinic.core.models import OutboxMessage
from clinic.treatment.models import AlertNotice, TreatmentSettings, VitalAlert
from clinic.treatment.tests.factories import make_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_desaturation_reaches_the_physician_escalates_and_is_closed(
    signed_in_page, live_server, kyiv, course, chair, nurse, physician
):
    from playwright.sync_api import expect

    TreatmentSettings.objects.create(site=kyiv, alert_escalate_after_minutes=5)
    duty = make_user("duty.kyiv@test.clinic", roles=[Role.PHYSICIAN], sites=[kyiv])
    today = timezone.localdate()
    for doctor in (duty, physician):  # `physician` is the later entry: first on the rota
        OnDutyPhysician.objects.create(
            site=kyiv, physician=doctor, starts_on=today, ends_on=today, created_by=doctor
        )
    session = make_session(course, chair, nurse=nurse, physician=physician)
    session_url = live_server.url + f"/staff/treatment/infusions/{session.public_id}/"
    page = signed_in_page(nurse)
    doctor = signed_in_page(physician)
    doctor.goto(live_server.url + "/staff/")
    expect(doctor.locator(".chair-alert-banner")).to_have_count(0)

    page.goto(session_url)
    page.fill("#id_systolic", "124")
    page.fill("#id_diastolic", "78")
    page.fill("#id_heart_rate", "80")
    page.fill("#id_spo2", "89")
    page.fill("#id_resp_rate", "12")
    page.click("#vitals-form button[type=submit]")
    expect(page.locator("[data-testid=open-alert]")).to_contain_text("89")

    # The physician's next page load (or the board's poll) shows the banner and the badge.
    doctor.goto(live_server.url + "/staff/")
    expect(doctor.locator(".chair-alert-banner")).to_contain_text("89")
    alert = VitalAlert.objects.get(session=session)
    assert OutboxMessage.objects.filter(
        recipient=physician.email, dedupe_key=f"chair-alert:{alert.public_id}:{physician.pk}"
    ).exists()

    # Nobody acknowledges it: past the site's five minutes the sweep tells the next on duty.
    with time_machine.travel(timezone.now() + timedelta(minutes=6), tick=False):
        call_command("escalate_chair_alerts")
    alert.refresh_from_db()
    assert alert.escalated_at is not None
    assert AlertNotice.objects.get(alert=alert, reason="escalation").recipient == duty
    assert OutboxMessage.objects.filter(recipient=duty.email).exists()

    # The nurse closes it with an action that fits a desaturation.
    page.goto(session_url)
    options = page.locator(f"#action-{alert.public_id} option")
    expect(options.nth(1)).to_have_attribute("value", "stimulate")
    page.select_option(f"#action-{alert.public_id}", "oxygen")
    page.fill(f"#note-{alert.public_id}", "Кисень 2 л/хв, SpO2 96 %")
    page.click(f"form[action$='/{alert.public_id}/resolve/'] button[type=submit]")
    expect(page.locator("[data-testid=closed-alert]")).to_contain_text("Кисень 2 л/хв")
    alert.refresh_from_db()
    assert (alert.action, alert.closed_by) == ("oxygen", nurse)
    doctor.goto(live_server.url + "/staff/")
    expect(doctor.locator(".chair-alert-banner")).to_have_count(0)
