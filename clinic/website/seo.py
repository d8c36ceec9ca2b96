"""What search engines and link previews read: alternates, JSON-LD, the sitemap."""

import json

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse, translate_url
from django.utils import translation
from django.utils.safestring import mark_safe

from clinic.website.models import Page

LANGUAGES = [code for code, _ in settings.LANGUAGES]
# schema.org day names, by ISO weekday.
DAYS = {
    1: "Monday",
    2: "Tuesday",
    3: "Wednesday",
    4: "Thursday",
    5: "Friday",
    6: "Saturday",
    7: "Sunday",
}


def alternates_for(request, page: Page | None = None) -> dict[str, str]:
    """The same page's path in every language (slugs differ, so pages know their own)."""
    if page is not None:
        return {language: page.url_in(language) for language in LANGUAGES}
    return {language: translate_url(request.path, language) for language in LANGUAGES}


def json_for_script(data) -> str:
    """JSON safe inside <script>: no way to close the tag from the data."""
    text = json.dumps(data, ensure_ascii=False)
    return mark_safe(  # noqa: S308 - <, > and & are escaped below
        text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    )


def clinic_jsonld(request, sites) -> str:
    """schema.org MedicalClinic, one per site, with address, phone and opening hours."""
    clinics = []
    for site in sites:
        clinics.append(
            {
                "@context": "https://schema.org",
                "@type": "MedicalClinic",
                "name": f"{site.name}",
                "telephone": str(site.phone),
                "url": request.build_absolute_uri(reverse("website:contacts")),
                "address": {
                    "@type": "PostalAddress",
                    "streetAddress": site.address,
                    "addressLocality": site.locality or site.name,
                    "postalCode": site.postal_code,
                    "addressCountry": "UA",
                },
                "openingHoursSpecification": [
                    {
                        "@type": "OpeningHoursSpecification",
                        "dayOfWeek": DAYS[row.weekday],
                        "opens": row.opens.strftime("%H:%M"),
                        "closes": row.closes.strftime("%H:%M"),
                    }
                    for row in site.opening_hours.all()
                ],
                "medicalSpecialty": "Psychiatric",
            }
        )
    return json_for_script(clinics)


class PageSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True

    def items(self):
        return Page.objects.published()

    def lastmod(self, page):
        return page.updated_at

    def location(self, page):
        return page.get_absolute_url()


class FixedPagesSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True

    def items(self):
        return [
            "website:home",
            "website:conditions",
            "website:methods",
            "website:articles",
            "website:contacts",
            "contact:form",
        ]

    def location(self, name):
        return reverse(name)


SITEMAPS = {"pages": PageSitemap, "fixed": FixedPagesSitemap}


def language_name(code: str) -> str:
    return translation.get_language_info(code)["name_local"]
