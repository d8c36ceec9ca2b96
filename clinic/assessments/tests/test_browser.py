"""A patient answers a PHQ-9 link on a phone; the physician sees the alert, acknowledges it and
finds the score on the trend. Plus keyboard entry and axe-core on this app's pages."""

import pytest
from django.conf import settings
from django.test import Client

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.assessments import services
from clinic.assessments.models import Assessment, SafetyAlert
from clinic.assessments.tests.factories import make_assessment, make_course, phq9_with_total
from clinic.conftest import make_patient

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def setting(kyiv):
    kyiv.crisis_line = "7333 (цілодобово)"
    kyiv.save()
    patient = make_patient(kyiv, "K-1", family_name="Прізвищенко", phone="+380671234567")
    make_assessment(patient, "phq9", phq9_with_total(18), days_ago=21)
    return patient


def test_a_patient_answers_item_9_sees_crisis_contacts_and_the_physician_acts(
    browser, signed_in_page, live_server, users, setting
):
    from playwright.sync_api import expect

    patient = setting
    _link, token = services.issue_self_report_link(
        patient, "phq9", actor=User.objects.system_actor()
    )
    # A phone with JavaScript switched off: the questionnaire must not need it.
    phone = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, java_script_enabled=False
    )
    try:
        page = phone.new_page()
        page.set_default_timeout(10_000)
        path = services.link_url(token, "uk").removeprefix(settings.PUBLIC_BASE_URL)
        page.goto(live_server.url + path)
        assert token not in page.url
        expect(page.locator("html")).to_have_attribute("lang", "uk")
        for number in range(1, 9):
            expect(page.locator(".progress-text")).to_contain_text(f"Запитання {number} з 9")
            page.check("input[name=answer][value='0']")
            page.click("main button[type=submit]")
        expect(page.locator("legend")).to_contain_text("Думки, що вам було б краще померти")
        page.get_by_label("Кілька днів").check()
        page.click("main button[type=submit]")
        crisis = page.locator(".crisis-contacts")
        expect(crisis).to_be_visible()
        expect(crisis).to_contain_text("112")
        expect(crisis).to_contain_text("7333")
        assert page.locator("html").evaluate("e => e.scrollWidth") <= 360
        assert "Прізвищенко" not in page.content()
        page.click("button[name=send]")
        expect(page.locator("h1")).to_have_text("Дякуємо")
        expect(page.locator(".crisis-contacts")).to_contain_text("112")
    finally:
        phone.close()

    assert SafetyAlert.objects.open().count() == 1
    physician = signed_in_page(users[(Role.PHYSICIAN, "kyiv")])
    physician.goto(live_server.url + "/staff/")
    expect(
        physician.locator("nav.mainnav a[href='/staff/assessments/alerts/'] .nav-count")
    ).to_contain_text("1")
    physician.click("nav.mainnav a[href='/staff/assessments/alerts/']")
    physician.click("text=Прізвищенко")
    expect(physician.locator("main")).to_contain_text("PHQ-9, пункт 9")
    physician.fill("#id_action_taken", "Зателефонувала пацієнтці, план безпеки, огляд сьогодні.")
    physician.click("text=Підтвердити сигнал")
    expect(physician.locator(".messages")).to_contain_text("Сигнал підтверджено")
    assert SafetyAlert.objects.get().status == "acknowledged"
    physician.goto(live_server.url + f"/staff/patients/{patient.public_id}/")
    expect(physician.locator("svg.trend-chart .point")).to_have_count(2)
    expect(physician.locator("svg.trend-chart .point title").last).to_contain_text(": 1 (")


def test_a_nurse_enters_a_phq9_by_keyboard_alone(signed_in_page, live_server, users, setting):
    from playwright.sync_api import expect

    page = signed_in_page(users[(Role.NURSE, "kyiv")])
    page.goto(
        live_server.url + f"/staff/assessments/patients/{setting.public_id}/enter/?scale=phq9"
    )
    page.focus("#id_item_0_0")
    for _item in range(9):
        page.keyboard.press("ArrowDown")  # the second answer: "several days"
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    # Item 9 is positive: the entry waits for a confirmation, the next button after "save".
    expect(page.locator("#confirm-safety")).to_contain_text("Пункт 9")
    page.focus("main .actions button:not([name])")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("main dl")).to_contain_text("9")
    assessment = Assessment.objects.filter(entered_by__isnull=False).latest("completed_at")
    assert assessment.entered_by == users[(Role.NURSE, "kyiv")]
    assert assessment.answers == [1] * 9 and assessment.total == 9


def test_a_nurse_confirms_a_positive_epds_item_10_before_the_alert_is_raised(
    browser, axe_path, live_server, users, setting
):
    from playwright.sync_api import expect

    nurse = Client()
    nurse.force_login(users[(Role.NURSE, "kyiv")])
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    host = live_server.url.split("//")[1].split(":")[0]
    cookie = nurse.cookies["sessionid"].value
    context.add_cookies([{"name": "sessionid", "value": cookie, "domain": host, "path": "/"}])
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(
            live_server.url + f"/staff/assessments/patients/{setting.public_id}/enter/?scale=epds"
        )
        # Every item at its 0-point option (items 1, 2, 4 first, the reverse-scored ones last),
        # item 10 at its second option: 2 points.
        for index in range(9):
            page.check(f"#id_item_{index}_{0 if index in (0, 1, 3) else 3}")
        option = page.locator("label.option", has=page.locator("#id_item_9_1"))
        expect(option).to_contain_text("2-й варіант на бланку — 2 бали")
        page.check("#id_item_9_1")
        page.click("main .actions button:not([name])")
        notice = page.locator("#confirm-safety")
        expect(notice).to_contain_text("Пункт 10 — думки про самоушкодження: оцінка 2")
        expect(notice).to_contain_text("чергового лікаря")
        assert not Assessment.objects.filter(code="epds").exists()
        problems = run_axe(page, axe_path, "confirmation")
        # Enter in the form submits with the first button, which checks again, never confirms.
        page.focus("#id_item_9_1")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        expect(page.locator("#confirm-safety")).to_be_visible()
        assert not Assessment.objects.filter(code="epds").exists()
        assert not SafetyAlert.objects.exists()
        page.click("button[name=confirm]")
        expect(page.locator(".messages")).to_contain_text("створено сигнал")
    finally:
        context.close()
    assert problems == {}
    assessment = Assessment.objects.get(code="epds")
    assert (assessment.total, assessment.safety) == (2, True)
    assert SafetyAlert.objects.get().assessment == assessment


def test_this_apps_pages_have_no_axe_violations(browser, axe_path, live_server, users, setting):
    patient = setting
    course = make_course(patient)
    make_assessment(patient, "phq9", phq9_with_total(8), days_ago=1, course=course)
    record = services.record_assessment(
        patient,
        "phq9",
        phq9_with_total(6, item9=1),
        actor=users[(Role.NURSE, "kyiv")],
        safety_confirmed=True,
    )
    alert = SafetyAlert.objects.get(assessment=record)
    _link, token = services.issue_self_report_link(
        patient, "gad7", actor=User.objects.system_actor()
    )
    staff = make_patient_staff_client(users)
    staff_paths = [
        f"/staff/patients/{patient.public_id}/",
        f"/staff/assessments/patients/{patient.public_id}/enter/?scale=phq9",
        f"/staff/assessments/patients/{patient.public_id}/enter/?scale=cssrs",
        f"/staff/assessments/patients/{patient.public_id}/outcomes/",
        f"/staff/assessments/{record.public_id}/",
        "/staff/assessments/alerts/",
        f"/staff/assessments/alerts/{alert.public_id}/",
        "/staff/assessments/outcomes/",
        "/staff/assessments/schedules/",
        "/staff/assessments/on-duty/",
        "/staff/assessments/settings/",
        "/staff/assessments/settings/phq9/",
        "/staff/assessments/licensed-texts/",
    ]
    problems, wide = {}, {}
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    narrow = browser.new_context(viewport={"width": 360, "height": 740})
    host = live_server.url.split("//")[1].split(":")[0]
    context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": staff.cookies["sessionid"].value,
                "domain": host,
                "path": "/",
            }
        ]
    )
    narrow.add_cookies(
        [
            {
                "name": "sessionid",
                "value": staff.cookies["sessionid"].value,
                "domain": host,
                "path": "/",
            }
        ]
    )
    phone = browser.new_context(bypass_csp=True, viewport={"width": 360, "height": 740})
    try:
        page = context.new_page()
        for path in staff_paths:
            response = page.goto(live_server.url + path)
            assert response.status == 200, path
            problems.update(run_axe(page, axe_path, path))
        small = narrow.new_page()
        for path in staff_paths:
            small.goto(live_server.url + path)
            width = small.evaluate("document.documentElement.scrollWidth")
            if width > 360:
                wide[path] = width
        patient_page = phone.new_page()
        patient_page.goto(live_server.url + f"/uk/anketa/{token}/")
        problems.update(run_axe(patient_page, axe_path, "question"))
        for _ in range(7):
            patient_page.check("input[name=answer][value='1']")
            patient_page.click("main button[type=submit]")
        problems.update(run_axe(patient_page, axe_path, "review"))
        patient_page.click("button[name=send]")
        problems.update(run_axe(patient_page, axe_path, "done"))
        patient_page.goto(live_server.url + f"/uk/anketa/{token}/")
        problems.update(run_axe(patient_page, axe_path, "used link"))
    finally:
        context.close()
        narrow.close()
        phone.close()
    assert problems == {}
    assert wide == {}


def make_patient_staff_client(users):
    from clinic.conftest import make_user

    user = make_user(
        "all-roles@test.clinic",
        roles=[Role.PHYSICIAN, Role.ADMINISTRATOR],
        sites=[users[(Role.PHYSICIAN, "kyiv")].sites.first()],
    )
    client = Client()
    client.force_login(user)
    return client


def run_axe(page, axe_path, label):
    page.add_script_tag(path=axe_path)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    if result["violations"]:
        return {label: [(v["id"], v["nodes"][0]["target"]) for v in result["violations"]]}
    return {}
