from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "clinic.portal"
    verbose_name = _("Patient portal")

    def ready(self):
        from clinic.accounts.roles import Role
        from clinic.core import jobs, worklists
        from clinic.core.navigation import register
        from clinic.inquiries.hooks import provide_inviter
        from clinic.portal import messaging
        from clinic.portal.selectors import summary_states
        from clinic.portal.services import forget_old_sign_ins, invite_patient, visit_path
        from clinic.scheduling import hooks
        from clinic.treatment.summaries import provide_reader

        # The staff menu (core.navigation): each site's self-service policy, for administrators,
        # and the messages patients wrote to the care team.
        register("portal_staff:policies", _("Patient portal policy"), position=185)
        register(
            "portal_staff:messages",
            _("Messages from patients"),
            position=55,
            counter=messaging.waiting_count,
        )

        # The staff start page's worklists (core.worklists).
        worklists.register(
            "patient_messages",
            _("Messages from patients"),
            roles={Role.RECEPTIONIST, Role.PHYSICIAN},
            items=messaging.worklist,
            empty=_("Every message from patients for you at this site has been answered."),
            position=36,
        )

        # What the apps below the portal are handed: treatment's note and course pages say
        # whether a session summary is released; an inquiry that becomes a patient is offered
        # the portal's invitation; messages about a visit link to the patient's page of it.
        provide_reader(summary_states)
        provide_inviter(invite_patient)
        hooks.register_visit_path(visit_path)

        # The worker's periodic jobs (core.jobs).
        jobs.register(
            "portal_sign_ins",
            timedelta(hours=6),
            forget_old_sign_ins,
            label=_("Old portal sign-in codes and sessions removed"),
        )
