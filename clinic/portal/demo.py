"""The demo centre's portal: each site's self-service policy, preparation texts, and one demo
patient (Kyiv, K-0001, in a ketamine course with booked infusions) holding a portal account,
with a trusted person (her escort) who sees her visits and confirmations, and one session
summary released by the Kyiv physician."""

from django.utils import timezone

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.assessments import services as assessments
from clinic.assessments.models import Assessment, SelfReportLink
from clinic.core.demo import demo_email
from clinic.patients.models import Patient
from clinic.portal import messaging, services
from clinic.portal.models import (
    MessageThread,
    PortalAccount,
    PortalPolicy,
    ScoreRelease,
    SessionSummary,
    TrustedPerson,
    VisitPreparation,
)
from clinic.scheduling.models import VisitType
from clinic.treatment.models import SessionNote

DEMO_PATIENT = "K-0001"
DEMO_PHONE = "+380671230001"
# The demo patient's escort: a phone no demo patient holds.
DEMO_TRUSTED_PHONE = "+380671239901"

PROVENANCE = (
    "Demo values, UNCONFIRMED: 24 hours' notice, 2 days between infusions and 2 working days "
    "to answer a message are placeholders "
    "for the centre's own policy; the medical director sets the real numbers here."
)

PREPARATION = {
    "ketamine_infusion": (
        "Не їжте за 6 годин і не пийте за 2 години до інфузії, якщо лікар не сказав інакше. "
        "Приходьте з супровідником: після інфузії не можна кермувати до наступного дня. "
        "Візьміть список ліків, які ви приймаєте.",
        "Do not eat for 6 hours or drink for 2 hours before the infusion unless your physician "
        "said otherwise. Come with an escort: you may not drive until the next day. Bring the "
        "list of medicines you take.",
    ),
    "first_consultation": (
        "Візьміть виписки, результати аналізів і список ліків, які ви приймали.",
        "Bring discharge letters, test results and the list of medicines you have taken.",
    ),
}


def load_demo(*, actor, sites) -> None:
    """Idempotent: what exists is left as it is."""
    movable = list(VisitType.objects.filter(code__in=["follow_up", "psychotherapy", "integration"]))
    infusions = list(VisitType.objects.filter(code="ketamine_infusion"))
    for site in sites.values():
        if not PortalPolicy.objects.filter(site=site).exists():
            services.save_policy(
                site,
                values={
                    "notice_hours": 24,
                    "movable_visit_types": movable,
                    "infusion_visit_types": infusions,
                    "min_days_between_infusions": 2,
                    "search_days": 21,
                    "provenance": PROVENANCE,
                },
                actor=actor,
            )
    for code, (text_uk, text_en) in PREPARATION.items():
        visit_type = VisitType.objects.filter(code=code).first()
        if visit_type is not None:
            VisitPreparation.objects.get_or_create(
                visit_type=visit_type, defaults={"text_uk": text_uk, "text_en": text_en}
            )
    patient = Patient.objects.filter(record_number=DEMO_PATIENT).first()
    if patient is None:
        return
    _release_a_summary(patient)
    if not PortalAccount.objects.filter(patient=patient).exists():
        _open_demo_account(patient, actor=actor)
    if not TrustedPerson.objects.filter(patient=patient).exists():
        services.grant_trusted_person(
            patient.portal_account,
            name="Ірина Демченко (демо)",
            relation=TrustedPerson.Relation.ESCORT,
            contact=DEMO_TRUSTED_PHONE,
            scopes=[TrustedPerson.Scope.VISITS, TrustedPerson.Scope.DOCUMENTS],
        )
    _demo_thread(patient, actor=actor)


def _open_demo_account(patient, *, actor) -> None:
    if not patient.phone:
        patient.phone = DEMO_PHONE
        patient.preferred_channel = Patient.Channel.SMS
        patient.save(update_fields=["phone", "preferred_channel"])
    services.invite_patient(patient, actor=actor)
    completed = Assessment.objects.filter(patient=patient, status=Assessment.Status.COMPLETED)
    if completed.exists() and not ScoreRelease.objects.filter(patient=patient).exists():
        services.release_scores(patient, actor=actor, note="")
    open_links = SelfReportLink.objects.filter(
        assessment__patient=patient, submitted_at__isnull=True, expires_at__gt=timezone.now()
    )
    if not open_links.exists():
        assessments.issue_self_report_link(patient, "phq9", actor=actor)


SUMMARY = (
    "Ми поговорили про ваші очікування від курсу та про те, хто супроводжуватиме вас після "
    "інфузій. Наступний крок: перша інфузія за розкладом. Якщо з'являться питання, напишіть "
    "або зателефонуйте до центру."
)


def _release_a_summary(patient) -> None:
    """The demo patient's signed session note gets one summary, released by the physician."""
    if SessionSummary.objects.filter(patient=patient).exists():
        return
    note = (
        SessionNote.objects.filter(patient=patient, signed_at__isnull=False)
        .order_by("held_on", "pk")
        .first()
    )
    physician = User.objects.filter(email=demo_email("physician", "kyiv")).first()
    if note is None or physician is None:
        return
    services.write_summary(note, text=SUMMARY, actor=physician)
    services.release_summary(note, actor=physician)


def _demo_thread(patient, *, actor) -> None:
    """One question to reception, answered: the thread the demo patient sees in the portal."""
    account = PortalAccount.objects.filter(patient=patient).first()
    if account is None or MessageThread.objects.filter(patient=patient).exists():
        return
    thread = messaging.send_message(
        account,
        topic=MessageThread.Topic.ADMINISTRATIVE,
        text="Добрий день! Чи можна отримати довідку про курс лікування для роботи?",
    )
    receptionist = (
        User.objects.filter(
            sites=patient.home_site, is_active=True, groups__name=Role.RECEPTIONIST.value
        )
        .order_by("pk")
        .first()
    )
    messaging.reply(
        thread,
        text="Добрий день! Так, довідку підготуємо до вашого наступного візиту.",
        actor=receptionist or actor,
    )


def demo_login() -> str | None:
    """How to sign in as the demo patient, for `load_demo`'s list of logins."""
    account = (
        PortalAccount.objects.filter(patient__record_number=DEMO_PATIENT)
        .select_related("patient")
        .first()
    )
    if account is None:
        return None
    return account.phone or account.email


def trusted_demo_login() -> str | None:
    """How to sign in as the demo patient's trusted person, for the list of logins."""
    grant = (
        TrustedPerson.objects.live()
        .filter(patient__record_number=DEMO_PATIENT)
        .order_by("granted_at")
        .first()
    )
    return grant.contact if grant else None
