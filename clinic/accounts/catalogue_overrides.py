"""Strings of third-party forms whose translation the project sets itself.

Django looks in the project's catalogue first, so listing a msgid here (and translating it in
clinic/locale) overrides another app's catalogue that leaves it in English.
"""

from django.utils.translation import gettext_noop

OVERRIDDEN = [
    gettext_noop(
        "Email"
    ),  # allauth's login field label; another installed catalogue wins otherwise
]
