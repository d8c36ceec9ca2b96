"""The staff menu: one list, filtered by the policy each linked view declares."""

from django.urls import resolve, reverse
from django.utils.translation import gettext_lazy as _

MENU = [
    ("core:dashboard", _("Today")),
    ("patients:list", _("Patients")),
    ("accounts:staff_list", _("Staff")),
    ("locations:site_list", _("Sites and closures")),
    ("core:audit_log", _("Audit log")),
    ("core:outbox", _("Outgoing messages")),
]


def navigation_for(user) -> list[dict]:
    items = []
    for name, label in MENU:
        url = reverse(name)
        policy = resolve(url).func.access_policy
        if policy.allows_role(user.role_names):
            items.append({"name": name, "url": url, "label": label})
    return items
