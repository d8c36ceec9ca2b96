from django.http import Http404

from clinic.website.models import Page


def get_page_for_editing(user, public_id) -> Page:
    """Any page, for a content editor (the view's policy checks the role)."""
    page = Page.objects.filter(public_id=public_id).first()
    if page is None:
        raise Http404
    return page


def get_published_page(section: str, slug: str, language: str) -> Page:
    """A page a visitor may read: published, in this section, by this language's address."""
    page = Page.objects.published().in_section(section).filter(**{f"slug_{language}": slug}).first()
    if page is None:
        raise Http404
    return page
