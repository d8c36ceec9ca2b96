from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo centre for a developer's machine: `manage.py load_demo` and `demo_code`."""

    name = "clinic.demo"
    verbose_name = _("Demo centre")
