from django import template

register = template.Library()


@register.filter
def getfield(form, name):
    """A bound field by name: `form|getfield:"severity"`."""
    return form[name]


@register.filter
def split(text):
    return text.split()
