"""The patient chart's portal section (see patients/chart.py): the portal account, the
invitation, and the release of scores to the patient."""

from django.utils.translation import gettext as _

from clinic.accounts.roles import Role
from clinic.patients.access import can_read_clinical, can_read_demographics
from clinic.patients.chart import ChartSection
from clinic.portal.messaging import threads_of
from clinic.portal.models import PortalAccount
from clinic.portal.selectors import latest_release, trusted_people
from clinic.portal.staff_views import INVITERS, RELEASERS, TRUSTED_KEEPERS


def chart_provider(patient, user):
    if not can_read_demographics(user, patient):
        return None
    can_release = user.has_role(*RELEASERS) and can_read_clinical(user, patient)
    return ChartSection(
        "portal",
        _("Patient portal"),
        "portal/_chart_section.html",
        {
            "account": PortalAccount.objects.filter(patient=patient).first(),
            "can_invite": user.has_role(*INVITERS) and not patient.erased_at,
            "can_release": can_release,
            "release": latest_release(patient) if can_release else None,
            "trusted": trusted_people(patient) if user.has_role(*TRUSTED_KEEPERS) else None,
            "can_reset_app": user.has_role(*TRUSTED_KEEPERS),
        },
    )


def messages_provider(patient, user):
    """The patient's messages to the care team and the answers: part of the record. Reception
    sees the practical ones; a treatment question is clinical content."""
    if not can_read_demographics(user, patient):
        return None
    clinical = can_read_clinical(user, patient)
    threads = [t for t in threads_of(patient) if clinical or t.for_reception]
    return ChartSection(
        "messages",
        _("Messages from the patient"),
        "portal/_chart_messages.html",
        {
            "threads": threads,
            "withheld": not clinical,
            "can_answer": user.has_role(Role.RECEPTIONIST, Role.PHYSICIAN),
        },
    )
