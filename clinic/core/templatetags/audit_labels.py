from django import template

from clinic.core.audit import action_label as _action_label

register = template.Library()


@register.filter
def action_label(code):
    """`{{ event.action|action_label }}`: what the audit action code means, in words."""
    return _action_label(code)
