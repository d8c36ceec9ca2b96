"""The staff menu: one list, filtered by the policy each linked view declares."""

from django.urls import resolve, reverse
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

# (URL name, label, optional counter shown beside the label: a function of the user)
MENU = [
    ("core:dashboard", _("Today"), None),
    ("inquiries:inbox", _("Inquiries"), "clinic.inquiries.selectors.new_inquiries_count"),
    ("patients:list", _("Patients"), None),
    (
        "controlled_drugs:overview",
        _("Controlled drugs"),
        "clinic.controlled_drugs.selectors.attention_count",
    ),
    ("assessments:alerts", _("Alerts"), "clinic.assessments.selectors.open_alerts_count"),
    ("assessments:outcomes", _("Outcomes"), None),
    ("assessments:settings", _("Rating scales"), None),
    ("scheduling:day", _("Schedule"), None),
    ("scheduling:waitlist", _("Waitlist"), "clinic.scheduling.selectors.waiting_count"),
    ("scheduling:practitioners", _("Working hours"), None),
    ("scheduling:visit_types", _("Visit types"), None),
    ("formulary:rules", _("Trial adequacy rules"), None),
    ("patients:consent_texts", _("Consent texts"), None),
    ("treatment:board", _("Chair board"), None),
    ("treatment:board_all", _("Both sites"), None),
    ("treatment:courses", _("Courses"), None),
    ("treatment:settings", _("Treatment settings"), None),
    ("accounts:staff_list", _("Staff"), None),
    ("locations:site_list", _("Sites and closures"), None),
    ("content:list", _("Website"), None),
    ("core:audit_log", _("Audit log"), None),
    ("core:outbox", _("Outgoing messages"), None),
]


def navigation_for(user) -> list[dict]:
    items = []
    for name, label, counter in MENU:
        url = reverse(name)
        policy = resolve(url).func.access_policy
        if policy.allows_role(user.role_names):
            count = import_string(counter)(user) if counter else None
            items.append({"name": name, "url": url, "label": label, "count": count})
    return items
