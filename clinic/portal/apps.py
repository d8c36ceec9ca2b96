from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "clinic.portal"
    verbose_name = _("Patient portal")

    def ready(self):
        from clinic.core.navigation import register

        # The staff menu (core.navigation): each site's self-service policy, for administrators.
        register("portal_staff:policies", _("Patient portal policy"), position=185)

        # Treatment's note and course pages say whether a session summary is released.
        from clinic.portal.selectors import summary_states
        from clinic.treatment.summaries import provide_reader

        provide_reader(summary_states)

        # An inquiry that becomes a patient is offered the portal's invitation.
        from clinic.inquiries.hooks import provide_inviter
        from clinic.portal.services import invite_patient

        provide_inviter(invite_patient)

        from clinic.portal import messaging

        register(
            "portal_staff:messages",
            _("Messages from patients"),
            position=55,
            counter=messaging.waiting_count,
        )

        from datetime import timedelta

        from clinic.core import jobs
        from clinic.portal.services import forget_old_sign_ins, visit_path
        from clinic.scheduling import hooks

        # Messages about a visit link to the patient's page of it (scheduling.hooks).
        hooks.register_visit_path(visit_path)

        # The worker's periodic jobs (core.jobs).
        jobs.register(
            "portal_sign_ins",
            timedelta(hours=6),
            forget_old_sign_ins,
            label=_("Old portal sign-in codes and sessions removed"),
        )

        from clinic.accounts.roles import Role
        from clinic.core import worklists

        # The staff start page's worklists (core.worklists).
        worklists.register(
            "patient_messages",
            _("Messages from patients"),
            roles={Role.RECEPTIONIST, Role.PHYSICIAN},
            items=messaging.worklist,
            empty=_("Every message from patients for you at this site has been answered."),
            position=36,
        )
