from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "clinic.accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from clinic.accounts.services import ensure_roles
        from clinic.core.navigation import register

        # Roles are data every installation needs; creating them after each migrate keeps a
        # fresh database (tests included) usable without a fixture.
        post_migrate.connect(ensure_roles, sender=self)

        # The staff menu (core.navigation): this app's pages and where they stand in it.
        register("accounts:staff_list", _("Staff"), position=180)
