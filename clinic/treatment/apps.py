from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TreatmentConfig(AppConfig):
    name = "clinic.treatment"
    verbose_name = _("Treatment")

    def ready(self):
        from clinic.core.navigation import register

        # The staff menu (core.navigation): this app's pages and where they stand in it.
        from clinic.treatment.selectors import open_notices

        register(
            "treatment:board",
            _("Chair board"),
            position=140,
            counter=lambda user: len(open_notices(user)) if user.is_clinical else None,
        )
        register("treatment:board_all", _("Both sites"), position=150)
        register("treatment:courses", _("Courses"), position=160)
        register("treatment:settings", _("Treatment settings"), position=170)

        # The record's ketamine screen reads the site's blood-pressure limits from here.
        from clinic.patients.limits import provide_blood_pressure_limits
        from clinic.treatment.links import blood_pressure_limits

        provide_blood_pressure_limits(blood_pressure_limits)

        from datetime import timedelta

        from clinic.core import jobs
        from clinic.treatment.jobs import chair_alerts

        # The worker's periodic jobs (core.jobs).
        jobs.register(
            "chair_alerts",
            timedelta(minutes=1),
            chair_alerts,
            label=_("Overdue vital signs and escalation of chair alerts"),
        )

        from clinic.accounts.roles import Role
        from clinic.core import worklists
        from clinic.treatment import worklists as lists

        # The staff start page's worklists (core.worklists).
        worklists.register(
            "chairs",
            _("On the chairs"),
            roles={Role.NURSE, Role.PHYSICIAN},
            items=lists.chairs,
            empty=_("No patient is on a chair at this site."),
            position=10,
        )
        worklists.register(
            "doses",
            _("Doses to sign"),
            roles={Role.PHYSICIAN},
            items=lists.doses_to_sign,
            empty=_("No dose waits for a signature."),
            position=20,
        )
        worklists.register(
            "preparations",
            _("Doses to prepare or check"),
            roles={Role.NURSE, Role.PHYSICIAN},
            items=lists.doses_to_prepare,
            empty=_("Every signed dose is prepared and checked."),
            position=25,
        )
        worklists.register(
            "notes",
            _("Your notes to sign"),
            roles={Role.PHYSICIAN, Role.PSYCHOTHERAPIST},
            items=lists.notes_to_sign,
            empty=_("All your notes are signed."),
            position=40,
        )
        worklists.register(
            "integration",
            _("Integration sessions to offer"),
            roles={Role.PSYCHOTHERAPIST, Role.PHYSICIAN},
            items=lists.integration_offers,
            empty=_("Every recent infusion has its integration session."),
            position=50,
        )
