from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchedulingConfig(AppConfig):
    name = "clinic.scheduling"
    verbose_name = _("Scheduling")

    def ready(self):
        from clinic.core.navigation import register
        from clinic.scheduling.selectors import waiting_count

        # The staff menu (core.navigation): this app's pages and where they stand in it.
        register("scheduling:day", _("Schedule"), position=80)
        register("scheduling:waitlist", _("Waitlist"), position=90, counter=waiting_count)
        register("scheduling:practitioners", _("Working hours"), position=100)
        register("scheduling:visit_types", _("Visit types"), position=110)

        from datetime import timedelta

        from clinic.core import jobs
        from clinic.scheduling.jobs import reminders

        # The worker's periodic jobs (core.jobs).
        jobs.register(
            "reminders",
            timedelta(minutes=5),
            reminders,
            label=_("Visit reminders and expired waitlist offers"),
        )

        from clinic.accounts.roles import Role
        from clinic.core import worklists
        from clinic.scheduling import worklists as lists

        # The staff start page's worklists (core.worklists).
        worklists.register(
            "online_bookings",
            _("Booked online: call back"),
            roles={Role.RECEPTIONIST},
            items=lists.online_bookings,
            empty=_("Everyone who booked online has been called back."),
            position=55,
        )
        worklists.register(
            "arrivals",
            _("Arriving today"),
            roles={Role.RECEPTIONIST},
            items=lists.arrivals,
            empty=_("Everyone booked for today has arrived."),
            position=60,
        )
        worklists.register(
            "checked_in",
            _("Checked in and waiting"),
            roles={Role.RECEPTIONIST},
            items=lists.checked_in,
            empty=_("No one checked in is waiting."),
            position=62,
        )
        worklists.register(
            "unconfirmed",
            _("Tomorrow's visits not yet confirmed"),
            roles={Role.RECEPTIONIST},
            items=lists.unconfirmed,
            empty=_("Every visit tomorrow was announced to its patient."),
            position=65,
        )
        worklists.register(
            "failed_reminders",
            _("Messages that did not reach the patient"),
            roles={Role.RECEPTIONIST},
            items=lists.failed_reminders,
            empty=_("Every message about the visits ahead was delivered."),
            position=70,
        )
        worklists.register(
            "offers_ending",
            _("Waitlist offers ending soon"),
            roles={Role.RECEPTIONIST},
            items=lists.offers_ending,
            empty=_("No waitlist offer ends in the next two hours."),
            position=80,
        )
