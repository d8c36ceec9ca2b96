"""Each site's treatment settings: changed by an administrator, in force once a physician of
the site co-signs (core/cosign.py). The few process settings (clinic policy on how the record
is kept, not clinical thresholds) take effect when the administrator saves them, audited."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.accounts.roles import Role
from clinic.core import cosign
from clinic.core.audit import audit
from clinic.core.models import ProposedChange
from clinic.treatment.models import TreatmentSettings
from clinic.treatment.services.common import TreatmentRefused

KIND = "treatment.settings"
# Clinic policy on keeping the record, not a clinical threshold: no physician's co-signature.
PROCESS_SETTINGS = ("pump_late_entry_minutes",)


@dataclass(frozen=True)
class SettingsSaved:
    """What an administrator's save did: the process settings now in force, and the change
    of clinical settings awaiting a co-signature (None when none was changed)."""

    applied: tuple[str, ...]
    proposal: ProposedChange | None


def subject_of(site) -> str:
    return f"site:{site.pk}"


def pending_settings_change(site) -> ProposedChange | None:
    """The change of the site's settings awaiting a co-signature, if any."""
    return cosign.pending_change(KIND, subject_of(site))


def _locked_settings(site) -> TreatmentSettings:
    # Lock order: docs/architecture.md, "Locks and their order" (per-site settings rows).
    current = (
        TreatmentSettings.objects.select_for_update(of=("self",), no_key=True)
        .filter(site=site)
        .first()
    )
    return current or TreatmentSettings(site=site)


def _require_administrator(actor) -> None:
    if not actor.has_role(Role.ADMINISTRATOR):
        raise TreatmentRefused(_("Only an administrator can change the treatment settings."))


@transaction.atomic
def save_treatment_settings(site, *, values: dict, actor) -> SettingsSaved:
    """An administrator saves the site's settings form: changed process settings take effect
    at once (audited); changed clinical ones are proposed for a physician's co-signature."""
    _require_administrator(actor)
    current = _locked_settings(site)
    process = {
        name: value
        for name, value in values.items()
        if name in PROCESS_SETTINGS and getattr(current, name) != value
    }
    clinical = {name: value for name, value in values.items() if name not in PROCESS_SETTINGS}
    clinical_changed = any(getattr(current, name) != value for name, value in clinical.items())
    if not process and not clinical_changed:
        raise TreatmentRefused(_("No value was changed."), action="treatment.settings.refused")
    # The proposal first: when it is refused (another change is pending), nothing is saved.
    proposal = (
        propose_treatment_settings(site, values=clinical, actor=actor) if clinical_changed else None
    )
    if process:
        for name, value in process.items():
            setattr(current, name, value)
        current.updated_at, current.updated_by = timezone.now(), actor
        current.save()
        audit(actor, "treatment.settings.changed", obj=current, site=site, reason=",".join(process))
    return SettingsSaved(applied=tuple(process), proposal=proposal)


@transaction.atomic
def propose_treatment_settings(site, *, values: dict, actor) -> ProposedChange:
    """An administrator's change of a site's thresholds and limits: stored as pending, and the
    values in force stay as they are until a physician of the site co-signs it."""
    _require_administrator(actor)
    current = _locked_settings(site)
    changed = {name: value for name, value in values.items() if getattr(current, name) != value}
    if not changed:
        raise TreatmentRefused(_("No value was changed."), action="treatment.settings.refused")
    try:
        proposal = cosign.propose_change(
            kind=KIND,
            subject=subject_of(site),
            site=site,
            values=changed,
            previous={name: getattr(current, name) for name in changed},
            actor=actor,
        )
    except cosign.CoSignRefused as refusal:
        raise TreatmentRefused(str(refusal), action="treatment.settings.refused") from refusal
    audit(actor, "treatment.settings.proposed", obj=proposal, site=site, reason=",".join(changed))
    return proposal


def _require_site_physician(site, actor) -> None:
    if not actor.has_role(Role.PHYSICIAN) or site.pk not in actor.site_ids:
        raise TreatmentRefused(
            _("Only a physician of %(site)s can decide on its treatment settings.")
            % {"site": site.name},
            action="treatment.settings.refused",
        )


@transaction.atomic
def co_sign_treatment_settings(change: ProposedChange, *, actor) -> TreatmentSettings:
    """A physician of the site, not the proposer, co-signs: the proposed values take effect."""
    site = change.site
    _require_site_physician(site, actor)
    # The settings row before the change (docs/architecture.md, "Locks and their order").
    current = _locked_settings(site)

    def apply(locked: ProposedChange) -> None:
        for name, text in locked.values.items():
            setattr(current, name, TreatmentSettings._meta.get_field(name).to_python(text))
        current.updated_at, current.updated_by = timezone.now(), actor
        current.save()
        audit(
            actor,
            "treatment.settings.changed",
            obj=current,
            site=site,
            reason=",".join(locked.values),
        )

    try:
        cosign.co_sign_change(change, actor=actor, apply=apply)
    except cosign.CoSignRefused as refusal:
        raise TreatmentRefused(str(refusal), action="treatment.settings.refused") from refusal
    return current


@transaction.atomic
def reject_treatment_settings(change: ProposedChange, *, note: str, actor) -> ProposedChange:
    """A physician of the site, not the proposer, rejects the change; nothing takes effect."""
    _require_site_physician(change.site, actor)
    try:
        return cosign.reject_change(change, note=note, actor=actor)
    except cosign.CoSignRefused as refusal:
        raise TreatmentRefused(str(refusal), action="treatment.settings.refused") from refusal
