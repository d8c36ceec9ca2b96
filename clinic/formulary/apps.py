from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _load_reference_data(**kwargs):
    from clinic.formulary.defaults import load_formulary

    load_formulary()


class FormularyConfig(AppConfig):
    name = "clinic.formulary"
    verbose_name = _("Formulary")

    def ready(self):
        from clinic.core.navigation import register

        # The bundled formulary and default rules are data every installation needs; loading
        # them after each migrate (and flush) keeps a fresh database usable. Existing rows,
        # including the medical director's changes, are never overwritten.
        post_migrate.connect(_load_reference_data, sender=self)

        # The staff menu (core.navigation): this app's pages and where they stand in it.
        register("formulary:rules", _("Trial adequacy rules"), position=120)
