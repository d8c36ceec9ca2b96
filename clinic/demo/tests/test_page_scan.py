"""Every staff page of the demo centre, as each demo role sees it, in Ukrainian and in English:
no raw identifiers, no references meant for developers, no interface text of the other language.

Interface text is told from data by where it sits and by what the demo holds: the language
checks read labels, headings, buttons, table headers, legends, menu links and options only,
after removing the names the demo centre gave its patients, staff, sites, rooms and drugs
(data keep the language they were entered in).
"""

import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.core.audit import ACTION_LABELS
from clinic.core.demo import demo_email
from clinic.courses.models import Course
from clinic.locations.models import Room, Site
from clinic.patients.models import Patient
from clinic.scheduling.models import Appointment
from clinic.treatment.models import InfusionSession

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I)
DEVELOPER_REFERENCE = re.compile(r"domain\.md|\[R\d")
# English that reached Ukrainian pages before (issue 15) and words of Django's and the
# libraries' own interface that a missing translation shows.
ENGLISH_WORDS = re.compile(
    r"\b(Select an option|series|System|Record|Ketamine|mg|kg|ml|Completed|Save|Submit|"
    r"Cancel|Delete|None|True|False|Yes|No|Unknown|Search|Filter|Next|Previous|Page|"
    r"Status|Date|Time|Patient|Name|Notes?|Actions?|Total|Details)\b"
)
# Anywhere in a Ukrainian page's text, the audit trail's included (its actions are shown in
# words; the reasons its rows store, marked `data-as-written`, are data): words that only an
# untranslated label puts there.
STRAY_ENGLISH = re.compile(r"\b(?:Select an option|System|series|mg|kg|ml)\b")
# An audit action code ("patient.chart.viewed") where a person should read words.
DOTTED_CODE = re.compile(r"\b[a-z_]+(?:\.[a-z_]+)+\b")
# A word in Latin letters of ordinary spelling (acronyms such as PHQ-9 or TOTP are left out).
LATIN_WORD = re.compile(r"\b[A-Za-z]?[a-z]{3,}\b")
# Proper names of scales and of the authors whose criteria the pages name ("modified Aldrete").
PROPER_NAMES = {"Aldrete", "Maudsley", "Rybak", "Sforzini", "Thase", "Fekadu", "Sanacora"}
CYRILLIC = re.compile(r"[А-Яа-яЄєІіЇїҐґ]")
E_MAIL_OR_URL = re.compile(r"\S+@\S+|https?://\S+|/\S+")

INTERFACE = "label, h1, h2, h3, h4, button, th, legend, nav a, option, summary, caption"
SCAN = f"""() => {{
    const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
    const pieces = [...document.querySelectorAll("{INTERFACE}")]
        .filter((el) => el.tagName === "OPTION" || visible(el))
        // The language switcher names each language in itself (lang="uk", lang="en").
        .filter((el) => !el.closest("[lang]:not(html)"))
        .map((el) => el.innerText || el.textContent || "");
    // Stored free text shown as it was written (an audit row's reason) is data, like names.
    let text = document.body.innerText;
    for (const el of document.querySelectorAll("[data-as-written]")) {{
        if (el.innerText) text = text.replace(el.innerText, " ");
    }}
    return {{lang: document.documentElement.lang, text: text, ui: pieces}};
}}"""


@pytest.fixture
def demo(settings):
    from clinic.inquiries.models import ConsentText

    # Transactional tests flush the data migrations' rows; the demo's inquiries need one.
    ConsentText.objects.get_or_create(version=1, defaults={"text_uk": "Згода", "text_en": "C"})
    settings.DEBUG = True  # load_demo refuses otherwise; the live server is unaffected
    call_command("load_demo", "--quiet-logins")
    settings.DEBUG = False


def demo_data_names() -> list[str]:
    """Names the demo centre entered as data, longest first so that parts go after wholes."""
    names = set()
    for patient in Patient.objects.all():
        names.update(
            {patient.family_name, patient.given_name, patient.patronymic, patient.record_number}
        )
    for full_name in User.objects.values_list("full_name", flat=True):
        # The header greets the user by the first part of the name: "Лікар (Київ)" -> "Лікар".
        names.update({full_name, full_name.split(" (")[0], full_name.split()[0]})
    for site in Site.objects.all():
        names.update({site.name_uk, site.name_en})
    for room in Room.objects.all():
        names.update({room.name_uk, room.name_en})
    names.update(Course.objects.values_list("indication", flat=True))
    return sorted((n for n in names if n), key=len, reverse=True)


def interface_text(pieces: list[str], data_names: list[str]) -> str:
    text = "\n".join(pieces)
    for name in data_names:
        text = text.replace(name, " ")
    return E_MAIL_OR_URL.sub(" ", text)


def problems_on(page, url: str, language: str, data_names: list[str]) -> list[str]:
    found = []
    page.goto(url)
    scan = page.evaluate(SCAN)
    if scan["lang"] != language:
        return [f"{url}: page in {scan['lang']!r}, expected {language!r}"]
    if match := UUID.search(scan["text"]):
        found.append(f"{url} [{language}]: a raw id {match.group()}")
    if match := DEVELOPER_REFERENCE.search(scan["text"]):
        found.append(f"{url} [{language}]: a developer reference {match.group()!r}")
    if codes := sorted(set(DOTTED_CODE.findall(scan["text"])) & set(ACTION_LABELS)):
        found.append(f"{url} [{language}]: raw action codes {codes}")
    ui = interface_text(scan["ui"], data_names)
    if language == "uk" and (hits := set(STRAY_ENGLISH.findall(scan["text"]))):
        found.append(f"{url} [uk]: English in the text {sorted(hits)}")
    if language == "uk":
        words = (set(ENGLISH_WORDS.findall(ui)) | set(LATIN_WORD.findall(ui))) - PROPER_NAMES
        if words:
            found.append(f"{url} [uk]: English {sorted(words)}")
    elif hits := sorted({line.strip() for line in ui.splitlines() if CYRILLIC.search(line)}):
        found.append(f"{url} [en]: Ukrainian {hits}")
    return found


def patient_pages() -> list[str]:
    """The chart, a course, an infusion session and a visit of one Kyiv demo patient."""
    session = InfusionSession.objects.filter(site__code="kyiv").order_by("created_at").first()
    patient = session.patient if session else Patient.objects.get(record_number="K-0001")
    pages = [reverse("patients:chart", args=[patient.public_id])]
    course = Course.objects.filter(patient=patient).first()
    if course:
        pages.append(reverse("treatment:course", args=[course.public_id]))
    if session:
        pages.append(reverse("treatment:infusion", args=[session.public_id]))
    visit = Appointment.objects.filter(patient=patient).order_by("starts_at").first()
    if visit:
        pages.append(reverse("scheduling:appointment", args=[visit.public_id]))
    return pages


def test_no_staff_page_of_the_demo_shows_raw_ids_or_the_other_language(
    demo, signed_in_page, live_server
):
    data_names = demo_data_names()
    problems: list[str] = []
    seen: set[tuple[str, str, str]] = set()
    for role in Role:
        user = User.objects.get(email=demo_email(role.value, "kyiv"))
        page = signed_in_page(user)
        for language in ("uk", "en"):
            host = live_server.url.split("//")[1].split(":")[0]
            page.context.add_cookies(
                [{"name": "django_language", "value": language, "domain": host, "path": "/"}]
            )
            page.goto(live_server.url + "/staff/")
            menu = page.eval_on_selector_all(
                "nav.mainnav a", "links => links.map(a => a.getAttribute('href'))"
            )
            urls = ["/staff/", *menu]
            if role in (Role.PHYSICIAN, Role.NURSE):
                urls += patient_pages()
            for url in dict.fromkeys(urls):
                if (role, language, url) in seen:
                    continue
                seen.add((role, language, url))
                problems += problems_on(page, live_server.url + url, language, data_names)
    assert not problems, "\n".join(problems)
