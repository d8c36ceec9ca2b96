"""The chair board: every chair of a site (or of both) and what is happening in it, polled."""

from django.shortcuts import render
from django.utils import timezone

from clinic.accounts.roles import Role
from clinic.core.audit import audit
from clinic.core.policy import staff
from clinic.locations.selectors import current_site
from clinic.treatment import selectors
from clinic.treatment.views.common import (
    INFUSION_ROLES,
    without_session_renewal,
)


def _board_context(request, site_ids, *, all_sites):
    return {
        "groups": selectors.board(site_ids),
        "awaiting_integration": selectors.infusions_awaiting_integration(site_ids)[:20],
        "awaiting_infusion": selectors.visits_awaiting_infusion(site_ids),
        "can_book": request.user.has_role(Role.RECEPTIONIST),
        "now": timezone.now(),
        "all_sites": all_sites,
        "poll_url": "treatment:board_all_partial" if all_sites else "treatment:board_partial",
    }


def _board_site_ids(request):
    site = current_site(request)
    return [site.pk] if site else []


@staff(*INFUSION_ROLES)
def board(request):
    site_ids = _board_site_ids(request)
    audit(request.user, "board.viewed", site=current_site(request))
    return render(
        request, "treatment/board.html", _board_context(request, site_ids, all_sites=False)
    )


@without_session_renewal
@staff(*INFUSION_ROLES)
def board_partial(request):
    site_ids = _board_site_ids(request)
    return render(
        request, "treatment/_board.html", _board_context(request, site_ids, all_sites=False)
    )


@staff(Role.ADMINISTRATOR)
def board_all(request):
    audit(request.user, "board.viewed", reason="all sites")
    return render(
        request,
        "treatment/board.html",
        _board_context(request, sorted(request.user.site_ids), all_sites=True),
    )


@without_session_renewal
@staff(Role.ADMINISTRATOR)
def board_all_partial(request):
    return render(
        request,
        "treatment/_board.html",
        _board_context(request, sorted(request.user.site_ids), all_sites=True),
    )
