"""What a patient is told to do before and after an infusion, for the booking confirmation
(messaged and printed). Each line names its source; the fasting interval is the site's
setting (TreatmentSettings, UNCONFIRMED in domain.md: the medical director sets it)."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clinic.locations.models import Room
from clinic.treatment.selectors import rules_for


def is_infusion(visit_type) -> bool:
    """A visit on an infusion chair: the patient is sedated and prepares for it."""
    return visit_type.room_kind == Room.Kind.INFUSION_CHAIR


def infusion_instructions(site) -> list[str]:
    """The preparation lines in the active language, with the site's fasting interval."""
    rules = rules_for(site)
    lines = []
    if rules.fasting_required:
        # Fasting if clinic policy (domain.md, pre-dose checklist); hours UNCONFIRMED, the site's.
        lines.append(
            ngettext(
                "Do not eat for %(hours)s hour before the visit.",
                "Do not eat for %(hours)s hours before the visit.",
                rules.fasting_hours,
            )
            % {"hours": rules.fasting_hours}
        )
    lines += [
        # Discharge only with a responsible adult (domain.md §3.6 [R51][R35][R55]).
        _("Come with an adult who will take you home: you cannot leave on your own."),
        # No driving until the next day after a restful sleep (domain.md §3.5-3.6 [R48]).
        _(
            "Do not drive or operate machinery for the rest of the day, until you have slept "
            "the night."
        ),
        # The pre-dose checks need the current medicines and the escort's contact (§3.6).
        _(
            "Bring an identity document, the list of medicines you take and your escort's "
            "phone number."
        ),
    ]
    return lines
