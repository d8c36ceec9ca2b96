from django import template

from clinic.billing import money

register = template.Library()


@register.filter
def uah(kopecks) -> str:
    """Kopecks shown as hryvnias in the page's language: 125050 -> '1 250,50'."""
    if kopecks is None or kopecks == "":
        return "—"
    return money.format_uah(int(kopecks))
