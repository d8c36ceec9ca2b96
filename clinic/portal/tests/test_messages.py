"""Messages from the patient to the care team: routing by topic, refusals that write nothing,
the hourly limit, replies that notify without their text, the staff worklist and thread page,
the chart and the export, and the sweep of another patient's threads."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone, translation

from clinic.accounts.roles import Role
from clinic.conftest import make_patient
from clinic.core import worklists
from clinic.core.models import AuditEvent, OutboxMessage
from clinic.portal import messaging, services
from clinic.portal.models import CareMessage, MessageThread
from clinic.portal.tests.conftest import sign_in
from clinic.portal.tests.test_pages import portal_patterns

TEXT = "Чи можна перенести консультацію на інший день?"


def counts():
    return MessageThread.objects.count(), CareMessage.objects.count(), OutboxMessage.objects.count()


def staff_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def thread(account):
    return messaging.send_message(account, topic="administrative", text=TEXT)


# --- services --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_practical_topics_go_to_the_reception_of_the_patients_site(account, kyiv):
    for topic in ("appointment", "administrative"):
        thread = messaging.send_message(account, topic=topic, text=TEXT)
        assert thread.site == kyiv
        assert thread.addressed_to is None
        assert thread.for_reception
        assert thread.awaiting_reply
    assert AuditEvent.objects.filter(action="portal.message.sent").count() == 2


@pytest.mark.django_db
def test_a_treatment_question_goes_to_the_courses_responsible_physician(
    account, course, users, patient
):
    other = users[(Role.PHYSICIAN, "lviv")]
    patient.physician = other
    patient.save()
    thread = messaging.send_message(account, topic="treatment", text=TEXT)
    assert thread.addressed_to == course.responsible_physician
    assert thread.addressed_to != other


@pytest.mark.django_db
def test_without_a_course_a_treatment_question_goes_to_the_patients_physician(
    account, patient, physician
):
    patient.physician = physician
    patient.save()
    thread = messaging.send_message(account, topic="treatment", text=TEXT)
    assert thread.addressed_to == physician


@pytest.mark.django_db
def test_without_course_or_physician_every_site_physician_sees_the_question(account, physician):
    thread = messaging.send_message(account, topic="treatment", text=TEXT)
    assert thread.addressed_to is None
    assert list(messaging.waiting_for(physician, physician.site_ids)) == [thread]


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["", "   \n ", "я" * (CareMessage.MAX_LENGTH + 1)])
def test_it_refuses_empty_or_too_long_text_and_writes_nothing(account, text):
    before = counts()
    with pytest.raises(messaging.MessageRefused):
        messaging.send_message(account, topic="administrative", text=text)
    assert counts() == before
    denied = AuditEvent.objects.get(action="portal.message.refused")
    assert denied.outcome == AuditEvent.Outcome.DENIED


@pytest.mark.django_db
def test_it_refuses_an_unknown_topic(account):
    with pytest.raises(messaging.MessageRefused):
        messaging.send_message(account, topic="billing-hack", text=TEXT)
    assert not MessageThread.objects.exists()


@pytest.mark.django_db
@override_settings(PORTAL_MESSAGES_PER_HOUR=3)
def test_it_limits_messages_per_hour_and_writes_nothing_more(account, thread):
    messaging.add_patient_message(account, thread, text="ще одне")
    messaging.send_message(account, topic="appointment", text=TEXT)
    before = counts()
    with pytest.raises(messaging.MessagesLimited):
        messaging.send_message(account, topic="appointment", text=TEXT)
    with pytest.raises(messaging.MessagesLimited):
        messaging.add_patient_message(account, thread, text="і ще")
    assert counts() == before
    assert AuditEvent.objects.filter(action="portal.message.limited").count() == 2


@pytest.mark.django_db
@override_settings(PORTAL_MESSAGES_PER_HOUR=1)
def test_the_limit_frees_up_after_an_hour(account, thread):
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        messaging.send_message(account, topic="appointment", text=TEXT)
    assert MessageThread.objects.count() == 2


@pytest.mark.django_db
def test_a_reply_notifies_the_patient_without_its_text(thread, reception, account):
    messaging.reply(thread, text="Так, звісно: оберіть час у порталі.", actor=reception)
    message = OutboxMessage.objects.filter(recipient=account.phone).order_by("-pk").first()
    assert "оберіть час" not in message.body
    assert TEXT not in message.body
    assert f"/portal/messages/{thread.public_id}/" in message.body
    assert "http" in message.body
    thread.refresh_from_db()
    assert thread.unread_by_patient
    assert not thread.awaiting_reply
    assert AuditEvent.objects.filter(action="portal.message.replied", actor=reception).exists()


@pytest.mark.django_db
def test_the_notice_is_in_the_patients_language(thread, reception, account):
    account.language = "uk"
    account.save()
    messaging.reply(thread, text="Так.", actor=reception)
    message = OutboxMessage.objects.filter(recipient=account.phone).order_by("-pk").first()
    assert "/uk/portal/messages/" in message.body
    assert "порталі" in message.body


@pytest.mark.django_db
def test_a_closed_thread_takes_no_more_messages(thread, reception, account):
    messaging.close_thread(thread, actor=reception)
    before = counts()
    with pytest.raises(messaging.MessageRefused):
        messaging.reply(thread, text="ще", actor=reception)
    with pytest.raises(messaging.MessageRefused):
        messaging.add_patient_message(account, thread, text="ще")
    assert counts() == before
    assert AuditEvent.objects.filter(action="portal.message.closed").exists()


# --- the patient's pages -----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "not for emergencies"), ("uk", "не для невідкладних")],
)
def test_the_form_shows_crisis_contacts_and_refuses_attachments_in_both_languages(
    portal_client, policy, language, words
):
    with translation.override(language):
        page = portal_client.get(reverse("portal:message_new"))
    body = page.content.decode()
    assert page.status_code == 200
    assert words in body
    assert 'href="tel:112"' in body
    assert 'type="file"' not in body
    assert "enctype" not in body
    assert "2" in body  # the site's promised answer time


@pytest.mark.django_db
def test_the_patient_sends_a_message_and_sees_the_confirmation(portal_client, policy):
    response = portal_client.post(
        reverse("portal:message_new"), {"topic": "appointment", "text": TEXT}
    )
    thread = MessageThread.objects.get()
    assert response["Location"] == reverse("portal:thread", args=[thread.public_id])
    page = portal_client.get(response["Location"]).content.decode()
    assert "has been sent to the care team" in page
    assert "not for emergencies" in page
    assert TEXT in page
    assert "2 working days" in page


@pytest.mark.django_db
def test_a_file_posted_with_the_message_is_not_kept(portal_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("scan.pdf", b"%PDF-1.4", content_type="application/pdf")
    portal_client.post(
        reverse("portal:message_new"), {"topic": "appointment", "text": TEXT, "file": upload}
    )
    message = CareMessage.objects.get()
    assert message.text == TEXT
    assert not hasattr(message, "file")


@pytest.mark.django_db
@override_settings(PORTAL_MESSAGES_PER_HOUR=1)
def test_too_many_messages_answer_429_with_a_clear_page(portal_client, account):
    url = reverse("portal:message_new")
    portal_client.post(url, {"topic": "appointment", "text": TEXT})
    before = counts()
    response = portal_client.post(url, {"topic": "appointment", "text": TEXT})
    assert response.status_code == 429
    assert "Please wait before writing again" in response.content.decode()
    assert 'href="tel:112"' in response.content.decode()
    assert counts() == before


@pytest.mark.django_db
def test_the_list_marks_a_new_reply_until_the_patient_opens_it(
    portal_client, account, thread, reception
):
    later = messaging.send_message(account, topic="appointment", text=TEXT)
    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=False):
        messaging.reply(thread, text="Відповідь", actor=reception)
    home = portal_client.get(reverse("portal:home")).content.decode()
    assert "The care team has answered you: 1 new reply." in home
    listing = portal_client.get(reverse("portal:messages")).content.decode()
    assert listing.count("new reply") == 1
    # Newest first: the reply moved the first thread above the one sent after it.
    assert listing.index(str(thread.public_id)) < listing.index(str(later.public_id))
    page = portal_client.get(reverse("portal:thread", args=[thread.public_id])).content.decode()
    assert "Відповідь" in page
    assert "new reply" not in portal_client.get(reverse("portal:messages")).content.decode()


@pytest.mark.django_db
def test_a_message_is_shown_as_text_never_as_html(portal_client, account):
    messaging.send_message(account, topic="appointment", text="<script>alert(1)</script>")
    thread = MessageThread.objects.get()
    page = portal_client.get(reverse("portal:thread", args=[thread.public_id])).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


@pytest.mark.django_db
def test_the_export_holds_the_threads(portal_client, thread, reception):
    messaging.reply(thread, text="Відповідь", actor=reception)
    data = portal_client.get(reverse("portal:export_json")).json()
    assert [m["text"] for m in data["messages"][0]["messages"]] == [TEXT, "Відповідь"]
    assert data["messages"][0]["messages"][1]["author"] == reception.full_name
    pdf = portal_client.get(reverse("portal:export_pdf"))
    assert pdf.content.startswith(b"%PDF")


@pytest.fixture
def strangers_thread(kyiv):
    other = make_patient(kyiv, "K-0002", family_name="Шевчук", phone="+380671234567")
    other_account = services.invite_patient(other, actor=services.portal_actor())
    return messaging.send_message(other_account, topic="treatment", text="чужий секрет")


@pytest.mark.django_db
def test_no_portal_url_reads_or_writes_another_patients_thread(portal_client, strangers_thread):
    checked = 0
    for pattern in portal_patterns():
        if "thread_id" not in pattern.pattern.converters:
            continue
        url = reverse(f"portal:{pattern.name}", kwargs={"thread_id": strangers_thread.public_id})
        before = (*counts(), AuditEvent.objects.count())
        got = portal_client.get(url)
        posted = portal_client.post(url, {"text": "втручання"})
        assert got.status_code == 404, pattern.name
        assert posted.status_code == 404, pattern.name
        assert "чужий секрет" not in got.content.decode()
        assert (*counts(), AuditEvent.objects.count()) == before, pattern.name
        checked += 1
    assert checked >= 1
    assert strangers_thread.messages.count() == 1


# --- the staff's side --------------------------------------------------------------------------


@pytest.mark.django_db
def test_reception_finds_the_message_in_its_worklist_and_answers(thread, reception, account):
    filled = {f.worklist.key: f for f in worklists.for_user(reception, reception.sites.first())}
    items = filled["patient_messages"].items
    assert [i.url for i in items] == [reverse("portal_staff:thread", args=[thread.public_id])]
    client = staff_client(reception)
    page = client.get(items[0].url)
    assert TEXT in page.content.decode()
    assert AuditEvent.objects.filter(
        action="portal.message.viewed", actor=reception, patient=thread.patient
    ).exists()
    response = client.post(items[0].url, {"text": "Так, оберіть час у порталі."})
    assert response.status_code == 302
    assert CareMessage.objects.filter(thread=thread, author=reception).exists()
    filled = {f.worklist.key: f for f in worklists.for_user(reception, reception.sites.first())}
    assert filled["patient_messages"].items == []
    client.post(reverse("portal_staff:close_thread", args=[thread.public_id]))
    thread.refresh_from_db()
    assert thread.status == MessageThread.Status.CLOSED


@pytest.mark.django_db
def test_the_menu_counts_the_messages_waiting(thread, reception, physician):
    assert messaging.waiting_count(reception) == 1
    assert messaging.waiting_count(physician) == 0


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["uk", "en"])
def test_the_staff_list_says_what_is_done_when_empty(reception, language):
    client = staff_client(reception)
    with translation.override(language):
        page = client.get(reverse("portal_staff:messages"), HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200
    assert ("has been answered" in page.content.decode()) or ("відповіли" in page.content.decode())


@pytest.mark.django_db
def test_staff_of_another_site_get_404_and_the_attempt_is_audited(thread, users):
    lviv_reception = users[(Role.RECEPTIONIST, "lviv")]
    client = staff_client(lviv_reception)
    before = counts()
    url = reverse("portal_staff:thread", args=[thread.public_id])
    assert client.get(url).status_code == 404
    assert client.post(url, {"text": "втручання"}).status_code == 404
    assert (
        client.post(reverse("portal_staff:close_thread", args=[thread.public_id])).status_code
        == 404
    )
    assert counts() == before
    thread.refresh_from_db()
    assert thread.status == MessageThread.Status.OPEN
    assert AuditEvent.objects.filter(
        actor=lviv_reception, outcome=AuditEvent.Outcome.DENIED, patient=thread.patient
    ).exists()


@pytest.mark.django_db
def test_reception_does_not_read_a_treatment_question(account, reception, physician):
    thread = messaging.send_message(account, topic="treatment", text="про дозу")
    client = staff_client(reception)
    response = client.get(reverse("portal_staff:thread", args=[thread.public_id]))
    assert response.status_code == 403
    assert "про дозу" not in response.content.decode()
    assert messaging.waiting_count(reception) == 0
    assert messaging.waiting_count(physician) == 1


@pytest.mark.django_db
def test_the_chart_shows_the_threads(thread, reception, physician, patient):
    messaging.send_message(thread_account(patient), topic="treatment", text="про дозу")
    reception_chart = staff_client(reception).get(
        reverse("patients:chart", args=[patient.public_id])
    )
    assert TEXT in reception_chart.content.decode()
    assert "про дозу" not in reception_chart.content.decode()
    physician_chart = staff_client(physician).get(
        reverse("patients:chart", args=[patient.public_id])
    )
    assert "про дозу" in physician_chart.content.decode()


def thread_account(patient):
    from clinic.portal.models import PortalAccount

    return PortalAccount.objects.get(patient=patient)


@pytest.mark.django_db
def test_the_patients_access_log_names_the_staff_read(portal_client, thread, reception):
    staff_client(reception).get(reverse("portal_staff:thread", args=[thread.public_id]))
    with translation.override("en"):
        page = portal_client.get(reverse("portal:access_log")).content.decode()
    assert "your messages to the care team" in page
    assert reception.full_name in page


@pytest.mark.django_db
def test_a_second_portal_session_of_the_patient_sees_the_same_threads(client, account, thread):
    sign_in(client, account)
    assert str(thread.public_id) in client.get(reverse("portal:messages")).content.decode()


@pytest.mark.django_db
def test_the_staff_export_holds_the_threads(thread, physician, patient):
    from clinic.conftest import authenticate_recently

    client = staff_client(physician)
    authenticate_recently(client, physician)
    data = client.get(reverse("patients:export_json", args=[patient.public_id])).json()
    assert data["messages"][0]["messages"][0]["text"] == TEXT
    pdf = client.get(reverse("patients:export_pdf", args=[patient.public_id]))
    assert pdf.content.startswith(b"%PDF")


@pytest.mark.django_db
def test_the_demo_thread_is_answered_and_loaded_once(account, patient, reception):
    from clinic.portal.demo import _demo_thread

    _demo_thread(patient, actor=reception)
    _demo_thread(patient, actor=reception)
    thread = MessageThread.objects.get(patient=patient)
    assert [m.from_patient for m in thread.messages.all()] == [True, False]
    assert thread.unread_by_patient
