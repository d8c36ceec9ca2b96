from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.accounts import services
from clinic.accounts.access import get_staff_user_for
from clinic.accounts.forms import DeactivateForm, StaffForm
from clinic.accounts.roles import Role
from clinic.accounts.selectors import colleagues_of
from clinic.core.policy import staff


@staff(Role.ADMINISTRATOR)
def staff_list(request):
    return render(request, "accounts/staff_list.html", {"users": colleagues_of(request.user)})


@staff(Role.ADMINISTRATOR)
def staff_add(request):
    form = StaffForm(request.POST or None, admin=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = services.create_staff_user(
            email=data["email"],
            full_name=data["full_name"],
            roles=data["roles"],
            sites=data["sites"],
            actor=request.user,
            language=get_language(),
        )
        messages.success(
            request,
            _("The account has been opened; an invitation is on its way to %(email)s.")
            % {"email": user.email},
        )
        return redirect("accounts:staff_list")
    return render(request, "accounts/staff_form.html", {"form": form})


@staff(Role.ADMINISTRATOR, object_rule="accounts.access.get_staff_user_for")
def staff_edit(request, user_id):
    colleague = get_staff_user_for(request.user, user_id)
    initial = {
        "full_name": colleague.full_name,
        "email": colleague.email,
        "roles": sorted(colleague.role_names),
        "sites": list(colleague.sites.all()),
    }
    form = StaffForm(request.POST or None, initial=initial, admin=request.user, instance=colleague)
    if (
        request.method == "POST"
        and form.is_valid()
        and colleague == request.user
        and Role.ADMINISTRATOR not in form.cleaned_data["roles"]
    ):
        # Otherwise a centre could be left without anyone able to manage accounts.
        form.add_error("roles", _("You cannot remove your own administrator role."))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # Sites the administrator does not work at are kept as they were.
        other_sites = [s for s in colleague.sites.all() if s.pk not in request.user.site_ids]
        services.change_staff_user(
            colleague,
            full_name=data["full_name"],
            roles=data["roles"],
            sites=[*data["sites"], *other_sites],
            actor=request.user,
        )
        messages.success(request, _("The changes have been saved."))
        return redirect("accounts:staff_list")
    return render(
        request,
        "accounts/staff_form.html",
        {"form": form, "colleague": colleague, "deactivate_form": DeactivateForm()},
    )


@staff(Role.ADMINISTRATOR, object_rule="accounts.access.get_staff_user_for")
@require_POST
def staff_deactivate(request, user_id):
    colleague = get_staff_user_for(request.user, user_id)
    form = DeactivateForm(request.POST)
    if colleague == request.user:
        messages.error(request, _("You cannot deactivate your own account."))
    elif not form.is_valid():
        messages.error(request, _("Give a reason for deactivating the account."))
    else:
        services.deactivate_user(colleague, reason=form.cleaned_data["reason"], actor=request.user)
        messages.success(request, _("The account is deactivated and its sessions have ended."))
        return redirect("accounts:staff_list")
    return redirect("accounts:staff_edit", user_id=colleague.public_id)


@staff(Role.ADMINISTRATOR, object_rule="accounts.access.get_staff_user_for")
@require_POST
def staff_reactivate(request, user_id):
    colleague = get_staff_user_for(request.user, user_id)
    services.reactivate_user(colleague, actor=request.user)
    messages.success(request, _("The account is active again."))
    return redirect("accounts:staff_edit", user_id=colleague.public_id)
