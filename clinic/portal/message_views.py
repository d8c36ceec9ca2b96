"""Messages to the care team: the patient's pages in the portal and the staff's pages
(the list of messages waiting, one thread to read, answer and close).

Thin views over `messaging` and `access`. The patient's pages show the crisis contacts beside
the form and in the confirmation, whatever the text says: messages are not for emergencies.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.accounts.roles import Role
from clinic.core.policy import staff
from clinic.core.refusals import refused
from clinic.portal import messaging
from clinic.portal.access import get_staff_thread_for, get_thread_for, patient_portal
from clinic.portal.forms import MessageForm, ReplyForm
from clinic.portal.views import _page

ANSWERERS = (Role.RECEPTIONIST, Role.PHYSICIAN)


def _promise(patient) -> int | None:
    return messaging.reply_working_days(patient.home_site)


# --- the patient's side --------------------------------------------------------------------------


@patient_portal
def inbox(request):
    patient = request.portal.patient
    return _page(
        request,
        "portal/messages.html",
        {"threads": messaging.threads_of(patient), "reply_days": _promise(patient)},
    )


@patient_portal
def new_message(request):
    patient = request.portal.patient
    form = MessageForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            thread = messaging.send_message(
                request.portal.account,
                topic=form.cleaned_data["topic"],
                text=form.cleaned_data["text"],
            )
        except messaging.MessagesLimited as refusal:
            form.add_error(None, refusal.message)
            status = 429
        except messaging.MessageRefused as refusal:
            form.add_error(None, refusal.message)
            status = 400
        else:
            messages.success(request, _("Your message has been sent to the care team."))
            return redirect("portal:thread", thread_id=thread.public_id)
    return _page(
        request,
        "portal/message_new.html",
        {"form": form, "reply_days": _promise(patient)},
        status=status,
    )


@patient_portal
def thread(request, thread_id):
    found = get_thread_for(request.portal, thread_id)
    form = ReplyForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            messaging.add_patient_message(
                request.portal.account, found, text=form.cleaned_data["text"]
            )
        except messaging.MessagesLimited as refusal:
            form.add_error(None, refusal.message)
            status = 429
        except messaging.MessageRefused as refusal:
            form.add_error(None, refusal.message)
            status = 400
        else:
            messages.success(request, _("Your message has been sent to the care team."))
            return redirect("portal:thread", thread_id=found.public_id)
    messaging.record_patient_read(request.portal.account, found)
    return _page(
        request,
        "portal/thread.html",
        {
            "thread": found,
            "thread_messages": found.messages.select_related("author"),
            "form": form,
            "reply_days": _promise(request.portal.patient),
        },
        status=status,
    )


# --- the staff's side ----------------------------------------------------------------------------


@staff(*ANSWERERS)
def staff_inbox(request):
    """Messages waiting for an answer from this person, at their sites, oldest first."""
    return render(
        request,
        "portal/staff_messages.html",
        {"threads": messaging.waiting_list(request.user, request.user.site_ids)},
    )


@staff(*ANSWERERS, object_rule="portal.access.get_staff_thread_for")
def staff_thread(request, thread_id):
    found = get_staff_thread_for(request.user, thread_id)
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            messaging.reply(found, text=form.cleaned_data["text"], actor=request.user)
        except messaging.MessageRefused as refusal:
            refused(request, refusal, patient=found.patient, obj=found)
        else:
            messages.success(request, _("Your reply is in the patient's portal; they are told."))
            return redirect("portal_staff:thread", thread_id=found.public_id)
    messaging.record_staff_read(found, actor=request.user)
    return render(
        request,
        "portal/staff_thread.html",
        {
            "thread": found,
            "patient": found.patient,
            "thread_messages": found.messages.select_related("author"),
            "form": form,
        },
    )


@staff(*ANSWERERS, object_rule="portal.access.get_staff_thread_for")
@require_POST
def staff_close(request, thread_id):
    found = get_staff_thread_for(request.user, thread_id)
    try:
        messaging.close_thread(found, actor=request.user)
    except messaging.MessageRefused as refusal:
        refused(request, refusal, patient=found.patient, obj=found)
    else:
        messages.success(request, _("The conversation is closed."))
    return redirect("portal_staff:messages")
