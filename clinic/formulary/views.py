from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from clinic.accounts.roles import Role
from clinic.core.models import ProposedChange
from clinic.core.policy import recently_authenticated, staff
from clinic.core.refusals import refused
from clinic.formulary import selectors, services
from clinic.formulary.access import get_minimum_dose_for
from clinic.formulary.forms import AdequacyRulesForm, MinimumDoseForm
from clinic.formulary.models import AdequacyRules, MinimumDose

AWAITING = gettext_lazy("The change is stored and takes effect when a physician co-signs it.")


@staff(Role.ADMINISTRATOR, Role.PHYSICIAN)
def rules(request):
    may_propose = request.user.has_role(Role.ADMINISTRATOR)
    if request.method == "POST" and not may_propose:
        raise PermissionDenied
    current = selectors.adequacy_rules()
    form = AdequacyRulesForm(request.POST or None, instance=current)
    if not may_propose:
        for field in form.fields.values():
            field.disabled = True  # a physician reads the rules in force
    if request.method == "POST" and form.is_valid():
        try:
            services.propose_adequacy_rules(**form.cleaned_data, actor=request.user)
        except services.RulesRefused as refusal:
            refused(request, refusal, obj=current, form=form)
        else:
            messages.success(request, AWAITING)
            return redirect("formulary:rules")
        current.refresh_from_db()
    return render(
        request,
        "formulary/rules.html",
        {
            "rules": current,
            "form": form,
            "doses": selectors.dose_table(),
            "can_sign_off": request.user.has_role(Role.PHYSICIAN),
            "may_propose": may_propose,
            "pending": [(change, _rows(change)) for change in services.pending_changes()],
            "may_co_sign": request.user.has_role(Role.PHYSICIAN),
        },
    )


def _rows(change: ProposedChange):
    model = MinimumDose if change.kind == services.DOSE_KIND else AdequacyRules
    subject = change.subject.removeprefix("drug:") if change.kind == services.DOSE_KIND else ""
    return [
        (subject, model._meta.get_field(name).verbose_name, old, new)
        for name, old, new in change.changes
    ]


@staff(Role.ADMINISTRATOR, object_rule="formulary.access.get_minimum_dose_for")
def edit_dose(request, drug_code):
    dose = get_minimum_dose_for(request.user, drug_code)
    form = MinimumDoseForm(
        request.POST or None, initial={"daily_mg": dose.daily_mg, "provenance": dose.provenance}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.propose_minimum_dose(dose, **form.cleaned_data, actor=request.user)
        except services.RulesRefused as refusal:
            refused(request, refusal, obj=dose, form=form)
        else:
            messages.success(request, AWAITING)
            return redirect("formulary:rules")
    return render(request, "formulary/dose_form.html", {"dose": dose, "form": form})


def _change(change_id) -> ProposedChange:
    return get_object_or_404(
        ProposedChange.objects.select_related("proposed_by"),
        public_id=change_id,
        kind__in=services.KINDS,
    )


@staff(Role.PHYSICIAN)
@require_POST
def co_sign(request, change_id):
    change = _change(change_id)
    return _co_sign(request, change)


# Co-signing puts the minimum-dose table or a threshold in force: it asks the physician to
# prove who they are again when the last sign-in is not recent (as signing a dose does).
@recently_authenticated
def _co_sign(request, change):
    try:
        services.co_sign_formulary_change(change, actor=request.user)
    except services.RulesRefused as refusal:
        refused(request, refusal, obj=change)
    else:
        messages.success(request, _("Co-signed: the new values are in force."))
    return redirect("formulary:rules")


@staff(Role.PHYSICIAN)
@require_POST
def reject(request, change_id):
    change = _change(change_id)
    try:
        services.reject_formulary_change(
            change, note=request.POST.get("note", "")[:500], actor=request.user
        )
    except services.RulesRefused as refusal:
        refused(request, refusal, obj=change)
    else:
        messages.success(request, _("The change is rejected; the values in force stay."))
    return redirect("formulary:rules")


@staff(Role.ADMINISTRATOR)
@require_POST
def sign_off(request):
    try:
        services.sign_off_adequacy_rules(actor=request.user)
    except services.RulesRefused as refusal:
        refused(request, refusal)
    else:
        messages.success(request, _("The rules and minimum doses are confirmed."))
    return redirect("formulary:rules")
