"""Thresholds the record's rules read but another app keeps.

The ketamine screen judges a resting blood pressure against the patient's home site's pre-dose
limits. Those limits are treatment's per-site settings (one place, changed only with a
physician's co-signature), and `patients` sits below `treatment`, so it may not import them.
Treatment hands its reader down instead, in `TreatmentConfig.ready()`, as the apps hand the
staff menu its entries (docs/architecture.md, "Layers").
"""

from collections.abc import Callable

from clinic.patients.screening import BloodPressureLimits

_blood_pressure_limits: Callable[[int], BloodPressureLimits] | None = None


def provide_blood_pressure_limits(reader: Callable[[int], BloodPressureLimits]) -> None:
    """Name the function that gives a site's (by id) blood-pressure limits in force."""
    global _blood_pressure_limits
    _blood_pressure_limits = reader


def blood_pressure_limits(site_id: int) -> BloodPressureLimits | None:
    """The site's limits in force, or None when no app provides them."""
    if _blood_pressure_limits is None:
        return None
    return _blood_pressure_limits(site_id)
