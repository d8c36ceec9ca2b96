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
