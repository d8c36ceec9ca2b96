from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.accounts.roles import Role
from clinic.core.policy import staff
from clinic.core.refusals import refused
from clinic.formulary import selectors, services
from clinic.formulary.access import get_minimum_dose_for
from clinic.formulary.forms import AdequacyRulesForm, MinimumDoseForm


@staff(Role.ADMINISTRATOR)
def rules(request):
    current = selectors.adequacy_rules()
    form = AdequacyRulesForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_adequacy_rules(**form.cleaned_data, actor=request.user)
        except services.RulesRefused as refusal:
            refused(request, refusal, obj=current, form=form)
        else:
            messages.success(request, _("The rules have been changed."))
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
        },
    )


@staff(Role.ADMINISTRATOR, object_rule="formulary.access.get_minimum_dose_for")
def edit_dose(request, drug_code):
    dose = get_minimum_dose_for(request.user, drug_code)
    form = MinimumDoseForm(
        request.POST or None, initial={"daily_mg": dose.daily_mg, "provenance": dose.provenance}
    )
    if request.method == "POST" and form.is_valid():
        services.change_minimum_dose(dose, **form.cleaned_data, actor=request.user)
        messages.success(request, _("The minimum dose has been changed."))
        return redirect("formulary:rules")
    return render(request, "formulary/dose_form.html", {"dose": dose, "form": form})


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
