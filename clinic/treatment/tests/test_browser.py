"""A nurse runs a demo patient through a whole infusion in Chromium, with a physician signing
the dose and witnessing the ampoule's residue; the chair board follows each phase; readings
survive a dropped connection."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command

from clinic.accounts.models import User
from clinic.conftest import current_totp_code
from clinic.controlled_drugs.models import Kind, LedgerEntry
from clinic.core.demo import DEMO_PASSWORD, demo_email, demo_totp_secret
from clinic.courses.models import Course
from clinic.patients.models import Patient
from clinic.treatment.models import InfusionSession, VitalAlert, VitalSigns

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(settings):
    from clinic.inquiries.models import ConsentText

    # Transactional tests flush the data migrations' rows; the demo's inquiries need one.
    ConsentText.objects.get_or_create(version=1, defaults={"text_uk": "Згода", "text_en": "C"})
    settings.DEBUG = True  # load_demo refuses otherwise; the live server is unaffected
    call_command("load_demo", "--quiet-logins")
    settings.DEBUG = False
    # The test moves the clock two hours on before the discharge; the idle limit is not what
    # it tests (test_views covers it), so sessions here last a day.
    settings.SESSION_COOKIE_AGE = 24 * 3600


def chair_card(page, name):
    return page.locator(".chair", has=page.locator(".chair-name", has_text=name))


def board_phase(page, live_server, expected):
    from playwright.sync_api import expect

    page.goto(live_server.url + "/staff/board/")
    expect(chair_card(page, "Крісло 2").locator(".chair-phase")).to_have_text(expected)


def fill_vitals(page, systolic, diastolic, heart_rate="78", spo2="98"):
    page.fill("#id_systolic", systolic)
    page.fill("#id_diastolic", diastolic)
    page.fill("#id_heart_rate", heart_rate)
    page.fill("#id_spo2", spo2)
    page.fill("#id_resp_rate", "14")
    page.click("#vitals-form button[type=submit]")


def test_a_nurse_runs_a_demo_patient_through_a_whole_infusion(
    demo,
    signed_in_page,
    live_server,
):
    from playwright.sync_api import expect

    nurse = User.objects.get(email=demo_email("nurse", "lviv"))
    physician = User.objects.get(email=demo_email("physician", "lviv"))
    patient = Patient.objects.get(record_number="L-0002")
    course = Course.objects.get(patient=patient)
    page = signed_in_page(nurse)
    board = signed_in_page(nurse, viewport={"width": 1024, "height": 768})  # a tablet
    doctor = signed_in_page(physician)
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)

    board_phase(board, live_server, "вільне")
    expect(chair_card(board, "Крісло 1").locator(".chair-phase")).to_have_text(
        "огляд перед введенням виконано"
    )

    # Check-in on chair 2.
    page.goto(live_server.url + f"/staff/treatment/courses/{course.public_id}/")
    page.select_option("#id_chair", label="Крісло 2")
    page.click("main form[action$='/infusions/new/'] button[type=submit]")
    expect(page.locator("[data-testid=status]")).to_have_text("зареєстровано")
    board_phase(board, live_server, "зареєстровано")

    # Pre-check.
    page.fill("#id_weight_kg", "61.0")
    page.fill("#id_systolic", "126")
    page.fill("#id_diastolic", "80")
    page.fill("#id_heart_rate", "72")
    page.fill("#id_spo2", "98")
    page.fill("#id_resp_rate", "14")
    page.fill("#id_fasting_hours", "6")
    page.fill("#id_escort_name", "Ольга Ткачук")
    page.fill("#id_escort_phone", "+380671112233")
    page.select_option("#id_pregnancy", "test_negative")
    page.select_option("#id_breastfeeding", "no")
    page.click("form[action$='/precheck/'] button[type=submit]")
    expect(page.locator("[data-testid=status]")).to_have_text("огляд перед введенням виконано")
    session = InfusionSession.objects.get(patient=patient, status="prechecked")
    session_url = live_server.url + f"/staff/treatment/infusions/{session.public_id}/"
    # A nurse sees no signing form; the physician signs the dose.
    expect(page.locator("form[action$='/dose/']")).to_have_count(0)
    doctor.goto(session_url)
    # The signing form is open while no dose exists; the course's dose rule is prefilled.
    expect(doctor.locator("#id_mg_per_kg")).to_have_value("0.50")
    expect(doctor.locator("#id_concentration_mg_per_ml")).to_have_count(0)
    doctor.click("form[action$='/dose/'] button[type=submit]")
    expect(doctor.locator("[data-testid=dose]")).to_contain_text("30,5 мг")  # 61 kg x 0.5

    # The nurse makes it up in a 100 ml bag: calculated first, then recorded.
    page.goto(session_url)
    expect(page.locator("form[action$='/start/']")).to_have_count(0)
    page.select_option("#id_method", "diluted_bag")
    page.fill("#id_final_volume_ml", "100")
    page.click("form[action$='/preparation/'] button[name=calculate]")
    expect(page.locator("[data-testid=preview]")).to_contain_text("150,0")  # ml/h
    page.click("form[action$='/preparation/'] button[name=record]")
    expect(page.locator("[data-testid=preparation]")).to_contain_text("0,61")  # ml drawn
    # The physician checks the bag and the pump; then the nurse starts it.
    doctor.goto(session_url)
    doctor.fill("#id_drug_volume_ml", "0.61")
    doctor.fill("#id_rate_ml_per_h", "150")
    doctor.click("form[action$='/preparation/check/'] button[type=submit]")
    page.goto(session_url)
    page.click("form[action$='/start/'] button[type=submit]")
    expect(page.locator("[data-testid=status]")).to_have_text("інфузія")
    expect(page.locator("[data-testid=next-due]")).to_be_visible()
    board_phase(board, live_server, "інфузія")

    # Vitals on time, through the page script.
    fill_vitals(page, "132", "84")
    expect(page.locator("#vitals table tbody tr")).to_have_count(1)

    # The connection drops: the reading waits on the device and goes when it is back.
    page.context.set_offline(True)
    fill_vitals(page, "138", "86")
    expect(page.locator("#vitals-queue")).to_contain_text("Немає з'єднання")
    assert VitalSigns.objects.filter(session=session).count() == 1
    page.context.set_offline(False)
    expect(page.locator("#vitals table tbody tr")).to_have_count(2)
    assert VitalSigns.objects.filter(session=session).count() == 2
    assert page.evaluate(f"localStorage.getItem('clinic.vitals.{session.public_id}')") is None

    # One out-of-range pressure, handled with an action and a note.
    fill_vitals(page, "192", "104", heart_rate="96")
    expect(page.locator(".alert-open")).to_contain_text("високий систолічний тиск")
    alert = VitalAlert.objects.get(session=session)
    page.select_option(f"#action-{alert.public_id}", "slow")
    page.fill(f"#note-{alert.public_id}", "Швидкість зменшено вдвічі, повтор за 5 хв")
    page.click(f"form[action$='/{alert.public_id}/resolve/'] button[type=submit]")
    expect(page.locator(".alert-closed")).to_contain_text("Швидкість зменшено")
    board.goto(live_server.url + "/staff/board/")
    expect(chair_card(board, "Крісло 2").locator(".chair-alert")).to_have_count(0)

    # CADSS-6 at about 40 minutes.
    page.click("details.scale:has(input[value=cadss6]) summary")
    for item, value in (("1", "1"), ("2", "0"), ("6", "1"), ("7", "0"), ("15", "0"), ("22", "0")):
        page.select_option(f"#id_cadss6-item_{item}", value)
    page.click("form:has(input[value=cadss6]) button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("CADSS-6")

    # An air-raid alert pauses the pump; the nurse resumes after the shelter.
    page.click("details:has(form[action$='/interrupt/']) summary")
    page.select_option("#interrupt-cause", "air_raid")
    page.click("form[action$='/interrupt/'] button[type=submit]")
    expect(page.locator("[data-testid=status]")).to_have_text("перервано")
    expect(page.locator("[data-testid=pump-events]")).to_contain_text("повітряна тривога")
    page.click("form[action$='/resume/'] button[type=submit]")
    expect(page.locator("[data-testid=status]")).to_have_text("інфузія")

    # End of the infusion once the pump has run its 40 minutes; the amount given is the
    # pump's; observation; Aldrete 10.
    with time_machine.travel(timedelta(minutes=41)):
        page.click("details:has(form[action$='/end/']) summary")
        page.click("form[action$='/end/'] button[type=submit]")
        expect(page.locator("[data-testid=status]")).to_have_text("спостереження")
    expect(page.locator("[data-testid=pump-given]")).to_contain_text("30,5")
    board_phase(board, live_server, "спостереження")
    page.click("details.scale:has(input[value=aldrete]) summary")
    page.select_option("#id_aldrete-point", "discharge")
    for number in range(1, 6):
        page.select_option(f"#id_aldrete-item_{number}", "2")
    page.click("form:has(input[value=aldrete]) button[type=submit]")
    expect(page.locator("[data-testid=status]")).to_have_text("готовий до виписки")
    board_phase(board, live_server, "готовий до виписки")

    # The ampoule goes into the register from the same page: one ampoule drawn, the session's
    # dose given, the residue destroyed before the physician, who signs in the same form.
    expect(page.locator("[data-testid=unaccounted]")).to_contain_text("30,5")
    page.check("#id_escort_confirmed")
    page.check("#id_instructions_given")
    page.click("form[action$='/discharge/'] button[type=submit]")
    expect(page.locator(".messages .error")).to_contain_text("не облікований у журналі")
    form = page.locator("#administration-form")
    expect(form.locator("#id_administered_mg")).to_have_value("30.5")
    form.locator("#id_drawn_mg").fill("100")
    expect(form.locator("[data-residue-output]")).to_contain_text("69.5")
    expect(form.locator("fieldset.witness")).to_be_visible()
    form.locator("#id_witness_email").fill(physician.email)
    form.locator("#id_witness_password").fill(DEMO_PASSWORD)
    form.locator("#id_witness_code").fill(current_totp_code(demo_totp_secret(physician.email)))
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=unaccounted]")).to_have_text("Ампулу повністю обліковано.")
    expect(page.locator("#register table tbody tr")).to_have_count(2)
    administration = LedgerEntry.objects.get(
        kind=Kind.ADMINISTRATION, clinical_reference=session.public_id
    )
    assert (administration.drawn_mg, administration.administered_mg) == (100, Decimal("30.5"))
    assert LedgerEntry.objects.get(administration=administration).witness == physician

    # Discharge too early is refused, with the reason.
    page.check("#id_escort_confirmed")
    page.check("#id_instructions_given")
    page.click("form[action$='/discharge/'] button[type=submit]")
    expect(page.locator(".messages .error")).to_contain_text("мінімальних 120 хвилин")
    assert InfusionSession.objects.get(pk=session.pk).status == "ready"

    # Two hours later it is allowed.
    with time_machine.travel(timedelta(minutes=121)):
        page.goto(session_url)
        page.check("#id_escort_confirmed")
        page.check("#id_instructions_given")
        page.click("form[action$='/discharge/'] button[type=submit]")
        expect(page.locator("[data-testid=status]")).to_have_text("виписано")
        board_phase(board, live_server, "вільне")

        # The session record renders as a PDF in both languages.
        for language in ("uk", "en"):
            response = page.request.get(session_url + f"record-{language}.pdf")
            assert response.status == 200
            assert response.headers["content-type"] == "application/pdf"
            assert response.body().startswith(b"%PDF")

    session.refresh_from_db()
    assert session.status == "discharged" and session.administered_mg is not None
    assert [p for p in problems if "Content Security Policy" in p or "Refused" in p] == []


def test_treatment_pages_fit_a_narrow_screen_and_pass_axe(
    demo,
    browser,
    live_server,
    axe_path,
):
    from django.test import Client

    nurse = User.objects.get(email=demo_email("nurse", "kyiv"))
    client = Client()
    client.force_login(nurse)
    # axe is injected as a script, so this context bypasses the CSP (as the site-wide test does).
    context = browser.new_context(bypass_csp=True, viewport={"width": 360, "height": 740})
    host = live_server.url.split("//")[1].split(":")[0]
    cookie = client.cookies["sessionid"].value
    context.add_cookies([{"name": "sessionid", "value": cookie, "domain": host, "path": "/"}])
    page = context.new_page()
    sessions = InfusionSession.objects.filter(site__code="kyiv")
    paths = ["/staff/board/", "/staff/treatment/courses/"]
    paths += [f"/staff/treatment/infusions/{s.public_id}/" for s in sessions]
    course = sessions.first().course
    paths += [f"/staff/treatment/courses/{course.public_id}/"]
    paths += [f"/staff/patients/{course.patient.public_id}/"]
    paths += [f"/staff/treatment/patients/{course.patient.public_id}/tes/new/"]
    too_wide, violations = {}, {}
    for path in paths:
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 360:
            too_wide[path] = width
        page.add_script_tag(path=axe_path)
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        if result["violations"]:
            violations[path] = [(v["id"], v["nodes"][0]["target"]) for v in result["violations"]]
    context.close()
    assert too_wide == {}
    assert violations == {}


def test_the_preparation_and_its_check_fit_a_narrow_screen_and_pass_axe(
    demo,
    browser,
    live_server,
    axe_path,
):
    from django.test import Client

    from clinic.treatment import services

    nurse = User.objects.get(email=demo_email("nurse", "lviv"))
    physician = User.objects.get(email=demo_email("physician", "lviv"))
    waiting = InfusionSession.objects.get(site__code="lviv", status="prechecked")
    services.sign_dose(waiting, mg_per_kg=Decimal("0.5"), minutes=40, actor=physician)
    session_url = live_server.url + f"/staff/treatment/infusions/{waiting.public_id}/"
    violations, too_wide = {}, {}

    def check(page, name):
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 360:
            too_wide[name] = width
        page.add_script_tag(path=axe_path)
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        if result["violations"]:
            violations[name] = [(v["id"], v["nodes"][0]["target"]) for v in result["violations"]]

    host = live_server.url.split("//")[1].split(":")[0]
    for user, step in ((nurse, "prepare"), (physician, "check")):
        client = Client()
        client.force_login(user)
        context = browser.new_context(bypass_csp=True, viewport={"width": 360, "height": 740})
        cookie = client.cookies["sessionid"].value
        context.add_cookies([{"name": "sessionid", "value": cookie, "domain": host, "path": "/"}])
        page = context.new_page()
        page.goto(session_url)
        if step == "prepare":
            page.select_option("#id_method", "diluted_syringe")
            page.fill("#id_final_volume_ml", "50")
            page.click("form[action$='/preparation/'] button[name=calculate]")
            page.wait_for_selector("[data-testid=preview]")
            check(page, "preview")
            page.click("form[action$='/preparation/'] button[name=record]")
            page.wait_for_selector("[data-testid=preparation]")
        else:
            page.wait_for_selector("form[action$='/preparation/check/']")
            check(page, "double check")
        context.close()
    assert too_wide == {}
    assert violations == {}
