from django import template

from clinic.core.citations import cite as _cite

register = template.Library()


@register.filter
def cite(text):
    """A source note with its research-note references as readable citations."""
    return _cite(text)
