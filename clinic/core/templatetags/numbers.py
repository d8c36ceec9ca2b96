from django import template

from clinic.core.numbers import quantity as _quantity

register = template.Library()


@register.filter
def quantity(value, places=3):
    """{{ dose_mg|quantity }}: "31,8" on Ukrainian pages, "31.8" on English ones."""
    return _quantity(value, int(places))
