from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import get_language, get_language_from_request

from clinic.core import views as core_views
from clinic.core.policy import public
from clinic.locations.selectors import public_sites
from clinic.website.access import get_published_page
from clinic.website.markup import render_markdown
from clinic.website.models import Page
from clinic.website.seo import alternates_for, clinic_jsonld

SECTION_TEMPLATES = {
    Page.Section.CONDITION: "website/section.html",
    Page.Section.METHOD: "website/section.html",
    Page.Section.ARTICLE: "website/articles.html",
}


@public
def root(request):
    """`/` is the public home in the visitor's language (Accept-Language or the language they
    chose before; Ukrainian otherwise). Staff start at /staff/."""
    language = get_language_from_request(request)
    with translation.override(language):
        return redirect("website:home")


def _context(request, page=None, /, **extra):
    return {"sites": public_sites(), "alternates": alternates_for(request, page), **extra}


@public
def home(request):
    pages = Page.objects.published()
    sites = public_sites()
    return render(
        request,
        "website/home.html",
        _context(
            request,
            conditions=pages.in_section(Page.Section.CONDITION),
            methods=pages.in_section(Page.Section.METHOD),
            articles=pages.in_section(Page.Section.ARTICLE).order_by("-publish_at", "-pk")[:3],
            jsonld=clinic_jsonld(request, sites),
        ),
    )


@public
def section_list(request, section):
    pages = Page.objects.published().in_section(section)
    return render(
        request,
        SECTION_TEMPLATES[section],
        _context(request, pages=pages, section=Page.Section(section)),
    )


@public
def page_detail(request, section, slug):
    page = get_published_page(section, slug, get_language())
    return render(
        request,
        "website/page.html",
        _context(request, page, page=page, body=render_markdown(page.body)),
    )


@public
def contacts(request):
    sites = public_sites()
    return render(
        request, "website/contacts.html", _context(request, jsonld=clinic_jsonld(request, sites))
    )


@public
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /staff/",
        "Disallow: /accounts/",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


@public
def page_not_found(request, exception=None):
    """The site-wide 404: the public site's own layout under /uk/ and /en/, else core's."""
    if request.path.startswith(("/uk/", "/en/")):
        return render(request, "public/404.html", {"sites": public_sites()}, status=404)
    return core_views.page_not_found(request, exception)
