from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InquiriesConfig(AppConfig):
    name = "clinic.inquiries"
    verbose_name = _("Inquiries")

    def ready(self):
        from clinic.core.navigation import register
        from clinic.inquiries.selectors import new_inquiries_count

        # The staff menu (core.navigation): this app's pages and where they stand in it.
        register("inquiries:inbox", _("Inquiries"), position=20, counter=new_inquiries_count)

        from clinic.accounts.roles import Role
        from clinic.core import worklists
        from clinic.inquiries import worklists as lists

        # The staff start page's worklists (core.worklists).
        worklists.register(
            "new_inquiries",
            _("New inquiries"),
            roles={Role.RECEPTIONIST},
            items=lists.new_inquiries,
            empty=_("Every inquiry has been answered."),
            position=90,
        )
