import time
from datetime import timedelta

import pytest
import time_machine
from django.core import mail, signing
from django.urls import reverse
from django.utils import timezone, translation

from clinic.core.models import AuditEvent, OutboxMessage
from clinic.core.outbox import DeliveryError, deliver_due
from clinic.inquiries.forms import MIN_FILL_SECONDS, form_started_token
from clinic.inquiries.models import Inquiry

pytestmark = pytest.mark.django_db


def started_long_ago():
    return signing.dumps(time.time() - 60, salt="inquiry-form-started")


def form_data(site, /, **overrides):
    data = {
        "name": "Олена",
        "phone": "067 123 45 67",
        "email": "",
        "site": site.pk,
        "topic": "trd",
        "message": "Хочу записатися на консультацію.",
        "channel": "phone",
        "consent": "on",
        "consent_version": 1,
        "started": started_long_ago(),
        "website": "",
    }
    data.update(overrides)
    return data


def contact_url(language="uk"):
    with translation.override(language):
        return reverse("contact:form")


def test_the_form_is_public_in_both_languages_with_translated_addresses(client, kyiv):
    uk, en = contact_url("uk"), contact_url("en")
    assert uk.startswith("/uk/") and en.startswith("/en/") and uk[3:] != en[3:]
    assert "Зв'яжіться з нами" in client.get(uk).content.decode()
    assert "Contact us" in client.get(en).content.decode()


def test_an_inquiry_is_stored_with_a_normalised_phone_and_the_consent_version(client, kyiv):
    response = client.post(contact_url(), form_data(kyiv))
    assert response.status_code == 302
    assert response["Location"] == reverse("contact:thanks")
    inquiry = Inquiry.objects.get()
    assert str(inquiry.phone) == "+380671234567"
    assert (inquiry.site, inquiry.topic, inquiry.language) == (kyiv, "trd", "uk")
    assert inquiry.consent.version == 1
    assert inquiry.status == Inquiry.Status.NEW
    assert AuditEvent.objects.filter(action="inquiry.received", site=kyiv).count() == 1


def test_an_anonymous_submission_is_audited_as_the_contact_form(client, kyiv):
    client.post(contact_url(), form_data(kyiv))
    event = AuditEvent.objects.get(action="inquiry.received")
    assert (event.actor_id, event.actor_label) == (None, "anonymous:contact-form")
    assert event.object_id == str(Inquiry.objects.get().public_id)


def test_the_reception_is_told_without_health_details(client, kyiv):
    kyiv.email = "reception.kyiv@example.org"
    kyiv.save()
    client.post(contact_url(), form_data(kyiv, message="Мені дуже погано після пологів"))
    message = OutboxMessage.objects.get(channel=OutboxMessage.Channel.EMAIL)
    assert message.recipient == "reception.kyiv@example.org"
    assert "пологів" not in message.body
    assert "/staff/inquiries/" in message.body


def test_the_inquiry_survives_a_failing_mail_server(client, kyiv, monkeypatch):
    def mail_server_down(message):
        raise DeliveryError("Connection refused")

    from clinic.core import outbox

    monkeypatch.setitem(outbox.SENDERS, OutboxMessage.Channel.EMAIL, mail_server_down)
    response = client.post(contact_url("en"), form_data(kyiv))
    assert response.status_code == 302
    deliver_due()
    assert Inquiry.objects.count() == 1
    message = OutboxMessage.objects.get(channel=OutboxMessage.Channel.EMAIL)
    assert message.status == OutboxMessage.Status.PENDING and message.attempts == 1
    monkeypatch.undo()
    OutboxMessage.objects.update(next_attempt_at=message.created_at)
    deliver_due()
    assert len(mail.outbox) == 1


def test_the_sender_is_acknowledged_by_sms_without_what_they_wrote(client, kyiv):
    client.post(contact_url(), form_data(kyiv, message="Мені дуже погано після пологів"))
    message = OutboxMessage.objects.get(channel=OutboxMessage.Channel.SMS)
    assert message.recipient == "+380671234567" and message.subject == ""
    assert "отримали" in message.body and kyiv.phone.as_international in message.body
    assert "пологів" not in message.body and "Олена" not in message.body
    assert "депрес" not in message.body.lower()


def test_the_sender_who_chose_e_mail_is_acknowledged_by_e_mail_in_their_language(client, kyiv):
    data = form_data(kyiv, channel="email", email="olena@example.org", topic="trd")
    client.post(contact_url("en"), data)
    message = OutboxMessage.objects.get(recipient="olena@example.org")
    assert message.channel == OutboxMessage.Channel.EMAIL
    assert message.subject == "We have received your message"
    assert "Хочу записатися" not in message.body and "consultation" not in message.body
    assert "resistant" not in message.body.lower()


def test_a_refused_inquiry_is_not_acknowledged(client, kyiv, settings):
    settings.INQUIRY_LIMIT_PER_HOUR = 1
    client.post(contact_url(), form_data(kyiv))
    client.post(contact_url(), form_data(kyiv))
    assert Inquiry.objects.count() == 1
    assert OutboxMessage.objects.filter(channel=OutboxMessage.Channel.SMS).count() == 1


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"phone": "12345"}, "phone"),
        ({"phone": "", "email": ""}, "phone"),
        ({"phone": "", "email": "a@b.example", "channel": "viber"}, "phone"),
        ({"channel": "email"}, "email"),
        ({"consent": ""}, "consent"),
        ({"name": ""}, "name"),
        ({"topic": "astrology"}, "topic"),
        ({"site": "999"}, "site"),
        ({"name": "x" * 151}, "name"),
    ],
)
def test_bad_input_gets_a_message_and_stores_nothing(client, kyiv, overrides, field):
    response = client.post(contact_url(), form_data(kyiv, **overrides))
    assert response.status_code == 200
    assert response.context["form"].errors.get(field)
    assert Inquiry.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


def test_errors_are_in_the_pages_language(client, kyiv):
    uk = client.post(contact_url("uk"), form_data(kyiv, phone="12345")).content.decode()
    en = client.post(contact_url("en"), form_data(kyiv, phone="12345")).content.decode()
    assert 'lang="uk"' in uk and 'lang="en"' in en
    assert "Enter a valid phone number" in en
    assert "Enter a valid phone number" not in uk


def test_a_filled_honeypot_looks_like_success_but_stores_nothing(client, kyiv):
    response = client.post(contact_url(), form_data(kyiv, website="http://spam.example"))
    assert response.status_code == 302
    assert Inquiry.objects.count() == 0


def test_a_form_sent_faster_than_a_person_can_type_is_refused(client, kyiv):
    response = client.post(contact_url(), form_data(kyiv, started=form_started_token()))
    assert response.status_code == 200
    assert Inquiry.objects.count() == 0
    assert MIN_FILL_SECONDS >= 2


def test_a_forged_start_time_is_refused(client, kyiv):
    response = client.post(contact_url(), form_data(kyiv, started="1700000000"))
    assert response.status_code == 200
    assert Inquiry.objects.count() == 0


def test_one_connection_may_send_only_a_few_inquiries_an_hour(client, kyiv, settings):
    settings.INQUIRY_LIMIT_PER_HOUR = 2
    # After the consent text came into force (the migration's time): a fixed past date would
    # find the form closed.
    start = timezone.now() + timedelta(days=1)
    with time_machine.travel(start, tick=False):
        for _ in range(2):
            assert (
                client.post(contact_url(), form_data(kyiv, started=started_long_ago())).status_code
                == 302
            )
        response = client.post(contact_url(), form_data(kyiv, started=started_long_ago()))
        assert response.status_code == 200
        assert Inquiry.objects.count() == 2
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        assert (
            client.post(contact_url(), form_data(kyiv, started=started_long_ago())).status_code
            == 302
        )


def test_an_outdated_consent_version_is_refused(client, kyiv):
    response = client.post(contact_url(), form_data(kyiv, consent_version=0))
    assert response.status_code == 200
    assert Inquiry.objects.count() == 0


def test_the_language_switch_keeps_the_page(client, kyiv):
    response = client.post("/i18n/setlang/", {"language": "en", "next": contact_url("uk")})
    assert response["Location"] == contact_url("en")


def test_the_footer_carries_sites_hours_licences_and_crisis_number(client, kyiv):
    from datetime import time as clock

    kyiv.opening_hours.create(weekday=1, opens=clock(10), closes=clock(19))
    kyiv.crisis_line = "7333"
    kyiv.save()
    page = client.get(contact_url("en")).content.decode()
    assert "Kyiv" in page and "+380 73 730 8088" in page and "10:00" in page
    assert "1443" in page and "1065" in page
    assert "112" in page and "7333" in page


def test_without_a_consent_text_the_form_is_closed_and_says_to_call(client, kyiv):
    from clinic.inquiries.models import ConsentText

    ConsentText.objects.all().delete()
    page = client.get(contact_url("en")).content.decode()
    assert "Please call us" in page
    assert 'name="consent"' not in page
    client.post(contact_url("en"), form_data(kyiv))
    assert Inquiry.objects.count() == 0


def test_a_content_editor_publishes_a_new_consent_version(client, users, kyiv):
    from clinic.accounts.roles import Role
    from clinic.inquiries.models import ConsentText

    client.force_login(users[(Role.CONTENT_EDITOR, "kyiv")])
    client.post("/staff/inquiries/consent/", {"text_uk": "Нова згода", "text_en": "New consent"})
    assert ConsentText.objects.order_by("-version").first().version == 2
    assert AuditEvent.objects.filter(action="inquiry.consent_text.published").count() == 1
    client.logout()
    # A form rendered under version 1 is refused once version 2 is in force ...
    assert client.post(contact_url(), form_data(kyiv, consent_version=1)).status_code == 200
    assert Inquiry.objects.count() == 0
    # ... and one under version 2 is stored with it.
    client.post(contact_url(), form_data(kyiv, consent_version=2))
    assert Inquiry.objects.get().consent.version == 2


def test_an_empty_consent_text_is_refused(client, users):
    from clinic.accounts.roles import Role
    from clinic.inquiries.models import ConsentText

    client.force_login(users[(Role.CONTENT_EDITOR, "kyiv")])
    client.post("/staff/inquiries/consent/", {"text_uk": "", "text_en": "x"})
    assert ConsentText.objects.count() == 1


def test_a_refused_inquiry_is_shown_audited_once_and_writes_nothing(client, kyiv):
    response = client.post(contact_url("en"), form_data(kyiv, consent_version=0))
    assert response.status_code == 200
    assert not Inquiry.objects.exists() and not OutboxMessage.objects.exists()
    refusal = AuditEvent.objects.get()
    assert refusal.action == "inquiry.refused" and refusal.outcome == AuditEvent.Outcome.DENIED
    assert refusal.actor is None and refusal.site == kyiv
    assert refusal.reason == "The consent text has just changed. Please read it again and confirm."
    assert "The consent text has just changed" in response.content.decode()
