from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _load_reference_data(**kwargs):
    from clinic.patients.defaults import load_consent_wordings

    load_consent_wordings()


class PatientsConfig(AppConfig):
    name = "clinic.patients"
    verbose_name = _("Patients")

    def ready(self):
        from clinic.core.navigation import register

        # The consent texts' first versions are data every installation needs; loading them
        # after each migrate (and flush) keeps a fresh database usable, as with the roles.
        post_migrate.connect(_load_reference_data, sender=self)

        # The staff menu (core.navigation): this app's pages and where they stand in it.
        register("patients:list", _("Patients"), position=30)
        register("patients:consent_texts", _("Consent texts"), position=130)
