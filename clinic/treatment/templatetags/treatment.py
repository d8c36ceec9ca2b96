from django import template

from clinic.treatment.chart import chart_section

register = template.Library()


@register.simple_tag(takes_context=True)
def treatment_section(context, patient):
    """The chart block's data for the signed-in user (see treatment/_chart_section.html)."""
    return chart_section(patient, context["request"].user)
