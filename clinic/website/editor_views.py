"""Content editors' pages: list, create, change and preview public pages."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from clinic.accounts.roles import Role
from clinic.core.policy import staff
from clinic.locations.selectors import public_sites
from clinic.website import services
from clinic.website.access import get_page_for_editing
from clinic.website.forms import PageForm
from clinic.website.markup import render_markdown
from clinic.website.models import Page


@staff(Role.CONTENT_EDITOR)
def page_list(request):
    return render(
        request, "website/editor/list.html", {"pages": Page.objects.select_related("updated_by")}
    )


@staff(Role.CONTENT_EDITOR)
def page_add(request):
    form = PageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        page = services.save_page(None, data=form.cleaned_data, actor=request.user)
        messages.success(request, _("The page has been saved."))
        return redirect("content:edit", page_id=page.public_id)
    return render(request, "website/editor/form.html", {"form": form})


@staff(Role.CONTENT_EDITOR, object_rule="website.access.get_page_for_editing")
def page_edit(request, page_id):
    page = get_page_for_editing(request.user, page_id)
    initial = {field: getattr(page, field) for field in services.FIELDS}
    form = PageForm(request.POST or None, initial=initial, page=page)
    if request.method == "POST" and form.is_valid():
        services.save_page(page, data=form.cleaned_data, actor=request.user)
        messages.success(request, _("The page has been saved."))
        return redirect("content:edit", page_id=page.public_id)
    return render(request, "website/editor/form.html", {"form": form, "page": page})


@staff(Role.CONTENT_EDITOR, object_rule="website.access.get_page_for_editing")
def page_preview(request, page_id, language):
    """The page as visitors will see it, drafts included, in the chosen language."""
    page = get_page_for_editing(request.user, page_id)
    if language not in ("uk", "en"):
        language = "uk"
    with translation.override(language):
        return render(
            request,
            "website/page.html",
            {
                "page": page,
                "body": render_markdown(page.body),
                "sites": public_sites(),
                "alternates": {},
                "preview": True,
                "preview_language": language,
            },
        )
