import logging

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.accounts.roles import Role
from clinic.core.audit import audit
from clinic.core.network import client_ip
from clinic.core.policy import public, staff
from clinic.core.refusals import refused
from clinic.inquiries import services
from clinic.inquiries.access import get_inquiry_for
from clinic.inquiries.forms import (
    AssignForm,
    ConsentTextForm,
    ConvertForm,
    InboxFilterForm,
    InquiryForm,
    NoteForm,
    StatusForm,
    form_started_token,
)
from clinic.inquiries.models import ConsentText, Inquiry
from clinic.inquiries.names import split_full_name
from clinic.locations.selectors import public_sites
from clinic.website.seo import alternates_for

INBOX_ROLES = (Role.RECEPTIONIST, Role.ADMINISTRATOR)
log = logging.getLogger(__name__)


@public
def contact(request):
    consent = services.current_consent()
    if consent is None:
        # Without a consent text nobody can lawfully send the form; say so and give the phones.
        log.error("no consent text is in force: the contact form is closed")
    form = InquiryForm(
        request.POST or None,
        initial={
            "consent_version": getattr(consent, "version", 0),
            "started": form_started_token(),
        },
    )
    if request.method == "POST":
        if form.is_spam():
            # Answer as if it worked: a bot learns nothing, and nothing is stored.
            return redirect("contact:thanks")
        if form.is_valid():
            try:
                services.submit_inquiry(
                    data=form.inquiry_fields(),
                    consent_version=form.cleaned_data["consent_version"],
                    language=get_language(),
                    ip=client_ip(request),
                    actor=services.CONTACT_FORM,
                )
            except services.SubmissionRefused as refusal:
                refused(request, refusal, site=form.cleaned_data.get("site"), form=form)
            else:
                return redirect("contact:thanks")
        # A fresh start time, so a person correcting an error is not held up again.
        form.data = form.data.copy()
        form.data["started"] = form_started_token()
        if consent is not None:
            form.data["consent_version"] = consent.version
    return render(
        request,
        "inquiries/contact.html",
        {
            "form": form,
            "consent_text": consent.text_in(get_language()) if consent else "",
            "sites": public_sites(),
            "alternates": alternates_for(request),
        },
    )


@public
def thanks(request):
    return render(
        request,
        "inquiries/thanks.html",
        {"sites": public_sites(), "alternates": alternates_for(request)},
    )


@staff(*INBOX_ROLES)
def inbox(request):
    form = InboxFilterForm(request.GET or None, user=request.user)
    inquiries = Inquiry.objects.at_sites(request.user.site_ids).select_related(
        "site", "assigned_to"
    )
    if form.is_valid():
        if form.cleaned_data["site"]:
            inquiries = inquiries.filter(site=form.cleaned_data["site"])
        if form.cleaned_data["status"]:
            inquiries = inquiries.filter(status=form.cleaned_data["status"])
    page = Paginator(inquiries, 50).get_page(request.GET.get("page"))
    audit(request.user, "inquiry.list.viewed")
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "inquiries/inbox.html", {"form": form, "page": page, "query": query.urlencode()}
    )


@staff(*INBOX_ROLES, object_rule="inquiries.access.get_inquiry_for")
def detail(request, inquiry_id):
    inquiry = get_inquiry_for(request.user, inquiry_id)
    audit(request.user, "inquiry.viewed", obj=inquiry)
    # Becoming a patient goes through the registration form below, not a bare status change.
    allowed = [
        (s, label)
        for s, label in Inquiry.Status.choices
        if inquiry.can_move_to(s) and s != Inquiry.Status.CONVERTED
    ]
    can_convert = inquiry.can_move_to(Inquiry.Status.CONVERTED) and request.user.has_role(
        Role.RECEPTIONIST
    )
    status_form = StatusForm()
    status_form.fields["status"].choices = allowed
    name_parts = split_full_name(inquiry.name)
    return render(
        request,
        "inquiries/detail.html",
        {
            "inquiry": inquiry,
            "events": inquiry.events.select_related("by"),
            "status_form": status_form if allowed else None,
            "assign_form": AssignForm(site=inquiry.site, initial={"to": inquiry.assigned_to}),
            "note_form": NoteForm(),
            "convert_form": ConvertForm(
                initial=name_parts.initial(), offer_invitation=services.may_invite(inquiry)
            )
            if can_convert
            else None,
            "name_parts": name_parts,
        },
    )


@staff(*INBOX_ROLES, object_rule="inquiries.access.get_inquiry_for")
@require_POST
def change_status(request, inquiry_id):
    inquiry = get_inquiry_for(request.user, inquiry_id)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a status."))
    else:
        try:
            services.change_inquiry_status(
                inquiry,
                form.cleaned_data["status"],
                note=form.cleaned_data["note"],
                actor=request.user,
            )
        except services.SubmissionRefused as refusal:
            refused(request, refusal, obj=inquiry)
        else:
            messages.success(request, _("The status has been changed."))
    return redirect("inquiries:detail", inquiry_id=inquiry.public_id)


@staff(*INBOX_ROLES, object_rule="inquiries.access.get_inquiry_for")
@require_POST
def assign(request, inquiry_id):
    inquiry = get_inquiry_for(request.user, inquiry_id)
    form = AssignForm(request.POST, site=inquiry.site)
    if form.is_valid():
        services.assign_inquiry(inquiry, to=form.cleaned_data["to"], actor=request.user)
        messages.success(request, _("The inquiry has been assigned."))
    else:
        messages.error(request, _("Choose a colleague at this site."))
    return redirect("inquiries:detail", inquiry_id=inquiry.public_id)


@staff(*INBOX_ROLES, object_rule="inquiries.access.get_inquiry_for")
@require_POST
def add_note(request, inquiry_id):
    inquiry = get_inquiry_for(request.user, inquiry_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        services.add_inquiry_note(inquiry, form.cleaned_data["text"], actor=request.user)
        messages.success(request, _("The note has been added."))
    else:
        messages.error(request, _("The note is empty."))
    return redirect("inquiries:detail", inquiry_id=inquiry.public_id)


@staff(Role.RECEPTIONIST, object_rule="inquiries.access.get_inquiry_for")
@require_POST
def convert(request, inquiry_id):
    inquiry = get_inquiry_for(request.user, inquiry_id)
    form = ConvertForm(request.POST, offer_invitation=services.may_invite(inquiry))
    if not form.is_valid():
        messages.error(
            request,
            _("Check the patient's details: %(errors)s")
            % {"errors": " ".join(e for errors in form.errors.values() for e in errors)},
        )
        return redirect("inquiries:detail", inquiry_id=inquiry.public_id)
    try:
        patient = services.convert_inquiry(inquiry, **form.cleaned_data, actor=request.user)
    except services.SubmissionRefused as refusal:
        refused(request, refusal, obj=inquiry)
        return redirect("inquiries:detail", inquiry_id=inquiry.public_id)
    messages.success(
        request, _("Patient %(number)s has been registered.") % {"number": patient.record_number}
    )
    return redirect("patients:chart", patient_id=patient.public_id)


@staff(Role.CONTENT_EDITOR)
def consent_texts(request):
    form = ConsentTextForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        consent = services.publish_consent_text(**form.cleaned_data, actor=request.user)
        messages.success(
            request,
            _("Version %(version)s of the consent text is now in force.")
            % {"version": consent.version},
        )
        return redirect("inquiries:consent_texts")
    return render(
        request,
        "inquiries/consent_texts.html",
        {"form": form, "versions": ConsentText.objects.all()},
    )
