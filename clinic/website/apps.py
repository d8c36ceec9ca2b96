from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebsiteConfig(AppConfig):
    name = "clinic.website"
    verbose_name = _("Website")

    def ready(self):
        from clinic.core.navigation import register

        # The staff menu (core.navigation): this app's pages and where they stand in it.
        register("content:list", _("Website"), position=200)
