"""Self-report links: signed, single use, expiring, no login, progress kept on the server."""

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.assessments import services
from clinic.assessments.models import Assessment, LicensedText, SafetyAlert, SelfReportLink
from clinic.assessments.tests.factories import issue_link
from clinic.conftest import make_patient
from clinic.core.models import AuditEvent, OutboxMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(kyiv):
    return make_patient(
        kyiv, "K-1", family_name="Прізвищенко", phone="+380671234567", preferred_channel="sms"
    )


def open_link(client, token, language="uk"):
    with translation.override(language):
        url = reverse("selfreport:open", kwargs={"token": token})
    return client.get(url)


def form_url(language="uk"):
    with translation.override(language):
        return reverse("selfreport:form")


def answer(client, index, position, language="uk"):
    return client.post(form_url(language), {"item": index, "answer": position})


def test_only_the_hash_of_the_token_is_stored(patient):
    link, token = issue_link(patient)
    assert len(token) >= 43  # 32 random bytes
    assert link.token_hash == services.hash_token(token) != token
    assert not SelfReportLink.objects.filter(token_hash=token).exists()


def test_opening_the_link_moves_to_an_address_without_the_token(client, patient):
    _link, token = issue_link(patient)
    response = open_link(client, token)
    assert response.status_code == 302
    assert token not in response["Location"]
    page = client.get(response["Location"])
    assert page.status_code == 200
    body = page.content.decode()
    assert "Прізвищенко" not in body and "Олена" not in body
    assert 'name="item" value="0"' in body
    assert page["Cache-Control"].startswith("no-store") or "no-store" in page["Cache-Control"]


def test_each_answer_is_saved_and_the_patient_resumes_where_they_stopped(client, patient):
    link, token = issue_link(patient)
    open_link(client, token)
    assert answer(client, 0, 2).status_code == 302
    answer(client, 1, 1)
    link.assessment.refresh_from_db()
    assert link.assessment.answers[:3] == [2, 1, None]
    # A new browser (the session is gone) opens the same link again: question 3 is next.
    client.cookies.clear()
    open_link(client, token)
    page = client.get(form_url()).content.decode()
    assert 'name="item" value="2"' in page


def test_the_page_is_in_the_patients_language(client, kyiv):
    english = make_patient(kyiv, "K-2", phone="+380671234568", preferred_language="en")
    _link, token = issue_link(english)
    message_url = services.link_url(token, "en")
    assert "/en/" in message_url
    response = open_link(client, token, "en")
    page = client.get(response["Location"]).content.decode()
    assert "Little interest or pleasure in doing things" in page
    assert 'lang="en"' in page


def test_a_positive_item_9_raises_the_alert_at_once_and_shows_crisis_contacts(
    client, patient, users, kyiv
):
    kyiv.crisis_line = "7333"
    kyiv.save()
    link, token = issue_link(patient)
    open_link(client, token)
    for index in range(8):
        answer(client, index, 0)
    assert not SafetyAlert.objects.exists()
    response = answer(client, 8, 1)  # "several days"
    alert = SafetyAlert.objects.get()
    assert alert.flag_list == ["phq9_item9"] and alert.status == "open"
    # The responsible physicians (the home site's: no care team) are told through the outbox.
    physician = users[(Role.PHYSICIAN, "kyiv")]
    mail = OutboxMessage.objects.get(recipient=physician.email)
    assert str(alert.public_id) in mail.body and "Прізвищенко" not in mail.body
    page = client.get(response["Location"]).content.decode()
    assert "112" in page and "7333" in page
    assert AuditEvent.objects.filter(action="assessment.alert.raised", patient=patient).exists()


SELF_REPORT_ACTIONS = (
    "assessment.link.opened",
    "assessment.answer_saved",
    "assessment.submitted",
)


def test_submitting_scores_it_and_the_link_works_only_once(client, patient):
    link, token = issue_link(patient)
    open_link(client, token)
    for index, position in enumerate([3, 3, 2, 2, 1, 1, 0, 0, 0]):
        answer(client, index, position)
    response = client.post(form_url(), {"send": "1"})
    assert response.status_code == 302
    assessment = Assessment.objects.get(pk=link.assessment.pk)
    assert (assessment.status, assessment.total, assessment.band) == ("completed", 12, "moderate")
    assert not assessment.safety and not SafetyAlert.objects.exists()
    again = open_link(client, token)
    assert again.status_code == 410
    assert "уже надіслано" in again.content.decode()
    # The patient has no account: every row names the link they came through.
    labels = AuditEvent.objects.filter(patient=patient, action__in=SELF_REPORT_ACTIONS)
    assert set(labels.values_list("actor_id", "actor_label")) == {
        (None, "anonymous:self-report-link")
    }
    assert set(labels.values_list("action", flat=True)) == set(SELF_REPORT_ACTIONS)


def test_it_refuses_to_send_an_incomplete_questionnaire(client, patient):
    link, token = issue_link(patient)
    open_link(client, token)
    answer(client, 0, 1)
    response = client.post(form_url(), {"send": "1"})
    assert response.status_code == 200
    link.refresh_from_db()
    assert link.submitted_at is None
    assert Assessment.objects.get(pk=link.assessment.pk).status == "in_progress"


@pytest.mark.parametrize(
    "item,position", [(0, 9), (0, -1), (99, 0), ("x", 0), (0, "\x00"), (True, 1), (0, 10**30)]
)
def test_tampered_answers_change_nothing(client, patient, item, position):
    link, token = issue_link(patient)
    open_link(client, token)
    response = client.post(form_url(), {"item": item, "answer": position})
    assert response.status_code in (200, 302, 400)
    link.assessment.refresh_from_db()
    assert link.assessment.answers == [None] * 9


def test_an_expired_link_gives_a_clear_page(client, patient):
    _link, token = issue_link(patient)
    with time_machine.travel(timezone.now() + timedelta(hours=73)):
        response = open_link(client, token)
    assert response.status_code == 410
    assert "Прізвищенко" not in response.content.decode()


@pytest.mark.parametrize("token", ["x", "a" * 5000, "abc\x00def", "../../etc"])
def test_unknown_or_malformed_tokens_are_not_found(client, token):
    with translation.override("uk"):
        url = reverse("selfreport:form") + quote(token, safe="") + "/"
    response = client.get(url)
    assert response.status_code == 404


def test_the_form_without_an_opened_link_is_not_found(client, db):
    assert client.get(form_url()).status_code == 404


def test_licensed_scales_are_not_sent_until_their_text_is_uploaded(patient):
    with pytest.raises(services.AssessmentRefused):
        issue_link(patient, "epds")
    assert not Assessment.objects.exists()
    items = [{"text": f"Питання {n}", "options": ["а", "б", "в", "г"]} for n in range(1, 11)]
    LicensedText.objects.create(
        code="epds",
        language="uk",
        items=items,
        permission="RCPsych 2026",
        uploaded_by=User.objects.system_actor(),
    )
    link, token = issue_link(patient, "epds")
    assert token and link.assessment.code == "epds"


def test_epds_reversal_happens_on_submit(client, patient):
    items = [{"text": f"Питання {n}", "options": ["а", "б", "в", "г"]} for n in range(1, 11)]
    LicensedText.objects.create(
        code="epds",
        language="uk",
        items=items,
        permission="x",
        uploaded_by=User.objects.system_actor(),
    )
    link, token = issue_link(patient, "epds")
    open_link(client, token)
    for index in range(10):
        answer(client, index, 3)
    client.post(form_url(), {"send": "1"})
    assert Assessment.objects.get(pk=link.assessment.pk).total == 9


def test_sending_a_link_goes_through_the_outbox_in_the_patients_language(kyiv):
    english = make_patient(kyiv, "K-3", phone="+380671234569", preferred_language="en")
    link, url, sent = services.send_self_report_link(
        english, "phq9", actor=User.objects.system_actor()
    )
    assert sent
    message = OutboxMessage.objects.get()
    assert message.channel == "sms" and message.recipient == "+380671234569"
    assert url in message.body and "questionnaire" in message.body
    assert message.carries_secret


def test_a_reminder_brings_a_fresh_link_and_the_old_one_stops_working(client, patient):
    from clinic.assessments.models import Schedule

    schedule = Schedule.objects.create(
        code="phq9",
        kind="every_n_days",
        interval_days=7,
        reminder_after_hours=24,
        created_by=User.objects.system_actor(),
    )
    link, token = issue_link(patient, schedule=schedule, due_key="x")
    services._send_link_message(link, token, reminder=False)
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        counts = services.send_due_assessments(actor=User.objects.system_actor())
        assert counts["reminded"] == 1
        assert open_link(client, token).status_code == 404
        reminder = OutboxMessage.objects.get(dedupe_key=f"self-report:{link.pk}:reminder")
        new_token = re.search(r"/(?:questionnaire|anketa)/([A-Za-z0-9_-]{20,})/", reminder.body)[1]
        assert open_link(client, new_token).status_code == 302
        again = services.send_due_assessments(actor=User.objects.system_actor())
        assert again["reminded"] == 0


def test_the_patient_may_switch_the_questionnaire_to_english(client, patient):
    _link, token = issue_link(patient)
    open_link(client, token)
    page = client.get(form_url("en")).content.decode()
    assert 'lang="en"' in page and "Little interest or pleasure in doing things" in page
    answer(client, 0, 1, "en")
    page = client.get(form_url("uk")).content.decode()
    assert 'lang="uk"' in page and "Пригніченість, депресія або безнадія" in page


def test_the_patient_sees_the_answers_without_their_scores(client, patient):
    _link, token = issue_link(patient)
    open_link(client, token)
    page = client.get(form_url()).content.decode()
    assert "Зовсім ні" in page
    assert not re.search(r"\d+ бал", page)
