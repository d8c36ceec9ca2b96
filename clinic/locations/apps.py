from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LocationsConfig(AppConfig):
    name = "clinic.locations"
    verbose_name = _("Locations")

    def ready(self):
        from clinic.core.navigation import register

        # The staff menu (core.navigation): this app's pages and where they stand in it.
        register("locations:site_list", _("Sites and closures"), position=190)
