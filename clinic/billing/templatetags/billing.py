from django import template

from clinic.billing import money
from clinic.billing.services import SESSION_KIND_LABELS

register = template.Library()


@register.filter
def uah(kopecks) -> str:
    """Kopecks shown as hryvnias in the page's language: 125050 -> '1 250,50'."""
    if kopecks is None or kopecks == "":
        return "—"
    return money.format_uah(int(kopecks))


@register.filter
def session_kind(code: str) -> str:
    """A price's session kind as people say it ("tACS", "Psychotherapy"); "—" for every kind."""
    return str(SESSION_KIND_LABELS.get(code, code)) if code else "—"
