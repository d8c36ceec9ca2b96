"""The patient chart is a list of sections, each supplied by a provider function.

A provider is `(patient, user) -> ChartSection | None` and returns None when the user may not
see that section. Other apps add their provider's dotted path to SECTIONS, in the order the
chart shows them. Each provider loads what it shows in a fixed number of queries.

A section's template gets its context's keys as variables (and the whole context as `c`, and
`patient`). The chart frames it with a heading; a template that brings its own `<section>`
and heading sets `framed=False`. An app with a partial that expects `section` passes
`ChartSection(key, title, "app/_partial.html", {"section": data}, framed=False)`.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.module_loading import import_string

SECTIONS = [
    "clinic.patients.chart_sections.demographics",
    "clinic.patients.chart_sections.consents",
    "clinic.scheduling.chart.visits",
    "clinic.patients.chart_sections.intake",
    "clinic.patients.chart_sections.treatment_history",
    "clinic.patients.chart_sections.resistance",
    "clinic.patients.chart_sections.ketamine_screen",
    "clinic.treatment.chart.chart_provider",
    "clinic.assessments.chart.chart_provider",
    "clinic.patients.chart_sections.notes",
    "clinic.patients.chart_sections.privacy",
    "clinic.portal.chart.chart_provider",
    "clinic.portal.chart.messages_provider",
]


# Short facts other apps add to the chart's summary line, such as the active treatment course
# (sessions) or the next visit (scheduling): dotted paths of functions
# `(patient, user) -> (label, value) | None`, shown to users who may read clinical content.
HEADER_FACTS: list[str] = [
    "clinic.treatment.chart.active_course_fact",
    "clinic.scheduling.chart.next_visit",
]


@dataclass(frozen=True)
class TimelineItem:
    at: date | datetime
    kind: str  # visit, assessment, session, note, document, treatment, consent, ...
    label: str
    url: str = ""

    @property
    def sort_key(self) -> datetime:
        if isinstance(self.at, datetime):
            # Local wall time, so that items of one day sort with the dates of that day.
            return (
                timezone.localtime(self.at).replace(tzinfo=None)
                if timezone.is_aware(self.at)
                else self.at
            )
        return datetime(self.at.year, self.at.month, self.at.day)


@dataclass
class ChartSection:
    key: str  # anchor on the page
    title: str
    template: str
    context: dict = field(default_factory=dict)
    timeline: list[TimelineItem] = field(default_factory=list)
    framed: bool = True
    html: str = ""

    def render(self, patient, request) -> str:
        self.html = render_to_string(
            self.template, {**self.context, "c": self.context, "patient": patient}, request
        )
        return self.html


def chart_sections(patient, user, providers=None) -> list[ChartSection]:
    sections = []
    for path in providers if providers is not None else SECTIONS:
        section = import_string(path)(patient, user)
        if section is not None:
            sections.append(section)
    return sections


def timeline_of(sections: list[ChartSection]) -> list[TimelineItem]:
    """Every section's items, newest first."""
    items = [item for section in sections for item in section.timeline]
    return sorted(items, key=lambda item: item.sort_key, reverse=True)


def header_facts(patient, user, providers=None) -> list[tuple[str, str]]:
    facts = []
    for path in providers if providers is not None else HEADER_FACTS:
        fact = import_string(path)(patient, user)
        if fact is not None:
            facts.append(fact)
    return facts
