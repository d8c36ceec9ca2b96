"""Session notes: written, signed, locked, and added to."""

import uuid
from functools import wraps

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.accounts.roles import Role
from clinic.core import records
from clinic.core.audit import audit
from clinic.core.policy import staff
from clinic.core.refusals import refused
from clinic.patients.access import get_patient_for
from clinic.treatment import forms, services, summaries
from clinic.treatment.access import (
    get_infusion_for,
    get_note_for,
)
from clinic.treatment.models import SessionNote
from clinic.treatment.views.common import (
    NOTE_ROLES,
    form_errors,
    visit_from_query,
)


@staff(*NOTE_ROLES, object_rule="patients.access.get_patient_for")
def note_new(request, patient_id):
    patient = get_patient_for(request.user, patient_id)
    infusion = None
    try:
        infusion_id = uuid.UUID(request.GET.get("infusion", ""))
    except ValueError:
        infusion_id = None  # no link, or a malformed one: the note stands alone
    if infusion_id:
        infusion = get_infusion_for(request.user, infusion_id)
        if infusion.patient_id != patient.pk:
            raise Http404  # a link that mixes two patients' records
    visit = visit_from_query(request)
    kind = SessionNote.Kind.INTEGRATION if infusion else SessionNote.Kind.PSYCHOTHERAPY
    held_on = timezone.localdate()
    if visit is not None:
        if visit.visit_type.code in SessionNote.Kind.values:
            kind = visit.visit_type.code
        held_on = timezone.localdate(visit.starts_at)
    form = forms.NoteForm(request.POST or None, initial={"kind": kind, "held_on": held_on})
    if request.method == "POST" and form.is_valid():
        try:
            note = services.write_session_note(
                patient,
                **form.cleaned_data,
                infusion=infusion,
                appointment=visit,
                actor=request.user,
            )
        except services.TreatmentRefused as refusal:
            refused(request, refusal, patient=patient, form=form)
        else:
            messages.success(request, _("The note is saved as a draft."))
            return redirect("treatment:note", note_id=note.public_id)
    return render(
        request,
        "treatment/note_form.html",
        {"form": form, "patient": patient, "infusion": infusion, "visit": visit},
    )


@staff(*NOTE_ROLES, object_rule="treatment.access.get_note_for")
def note_detail(request, note_id):
    note = get_note_for(request.user, note_id)
    audit(request.user, "note.viewed", note.patient, obj=note)
    mine = note.author_id == request.user.pk
    return render(
        request,
        "treatment/note_detail.html",
        {
            "note": note,
            "patient": note.patient,
            "addenda": note.addenda.select_related("author"),
            "edit_form": forms.NoteEditForm(initial={"text": note.text})
            if mine and not note.is_signed
            else None,
            "addendum_form": forms.AddendumForm() if note.is_signed else None,
            "can_sign": mine and not note.is_signed,
            "summaries": summaries.available(),
            "summary": summaries.summaries_of([note.pk]).get(note.pk),
            "can_summarise": note.is_signed and request.user.has_role(Role.PHYSICIAN),
        },
    )


def _note_step(handler):
    @wraps(handler)
    def view(request, note_id):
        note = get_note_for(request.user, note_id)
        try:
            done = handler(request, note)
        except (services.TreatmentRefused, records.RecordKeepingRefused) as refusal:
            refused(request, refusal, patient=note.patient, obj=note)
        else:
            if done:
                messages.success(request, done)
        return redirect("treatment:note", note_id=note.public_id)

    return staff(*NOTE_ROLES, object_rule="treatment.access.get_note_for")(require_POST(view))


@_note_step
def note_edit(request, note):
    form = forms.NoteEditForm(request.POST)
    if not form.is_valid():
        form_errors(request, form)
        return None
    records.edit_note(note, text=form.cleaned_data["text"], actor=request.user)
    return _("The draft is saved.")


@_note_step
def note_sign(request, note):
    records.sign_note(note, actor=request.user)
    return _("The note is signed and locked.")


@_note_step
def note_addendum(request, note):
    form = forms.AddendumForm(request.POST)
    if not form.is_valid():
        form_errors(request, form)
        return None
    records.add_addendum(note, text=form.cleaned_data["text"], actor=request.user)
    return _("The addendum is added.")
