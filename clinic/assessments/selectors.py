"""Reads: configured thresholds, licensed texts, alert counts, who answers for a patient."""

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.assessments.instruments import INSTRUMENTS, Licence
from clinic.assessments.models import LicensedText, SafetyAlert, ScaleSettings


def default_settings(code: str) -> ScaleSettings:
    """The published defaults of a scale, as an unsaved row (the seed migration's values)."""
    instrument = INSTRUMENTS[code]
    row = ScaleSettings(
        code=code, remission_max=instrument.remission_max, response_pct=instrument.response_pct
    )
    for name, (value, _note) in instrument.settings.items():
        setattr(row, name, value)
    row.provenance = instrument.remission_source
    return row


def scale_settings() -> dict[str, ScaleSettings]:
    """Every scale's settings in one query; scales without a saved row get the defaults."""
    saved = {row.code: row for row in ScaleSettings.objects.all()}
    return {code: saved.get(code) or default_settings(code) for code in INSTRUMENTS}


def settings_for(code: str) -> ScaleSettings:
    return ScaleSettings.objects.filter(code=code).first() or default_settings(code)


def current_licensed_texts() -> dict[tuple[str, str], LicensedText]:
    """The newest upload per (scale, language), in one query."""
    found = {}
    for text in LicensedText.objects.order_by("code", "language", "-uploaded_at", "-pk"):
        found.setdefault((text.code, text.language), text)
    return found


def licensed_text(code: str, language: str) -> LicensedText | None:
    return (
        LicensedText.objects.filter(code=code, language=language)
        .order_by("-uploaded_at", "-pk")
        .first()
    )


def licence_status(code: str, language: str, licensed: dict) -> str:
    instrument = INSTRUMENTS[code]
    if instrument.ships_text:
        return Licence.PUBLIC_DOMAIN
    if (code, language) in licensed:
        return Licence.LICENSED_BY_CLINIC
    return instrument.licence


def can_send_link(code: str, language: str, licensed: dict) -> bool:
    """A patient may only be sent a scale whose wording may be shown (public domain or
    uploaded in the patient's language), and only a patient-completed one."""
    instrument = INSTRUMENTS[code]
    return instrument.self_report and (instrument.ships_text or (code, language) in licensed)


def open_alerts_count(user) -> int:
    """Open safety alerts at the physician's sites, for the count in the staff menu."""
    if not user.has_role(Role.PHYSICIAN):
        return 0
    return SafetyAlert.objects.open().at_sites(user.site_ids).count()


def physicians_at(site):
    return User.objects.filter(
        sites=site, is_active=True, groups__name=Role.PHYSICIAN.value
    ).distinct()


def responsible_clinicians(patient) -> list[User]:
    """The patient's own physician (care team) if set and active, else the home site's."""
    if patient.physician_id and patient.physician.is_active:
        return [patient.physician]
    return list(physicians_at(patient.home_site_id))
