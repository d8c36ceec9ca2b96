"""Each site's treatment settings."""

from django.db import transaction
from django.utils import timezone

from clinic.core.audit import audit
from clinic.treatment.models import (
    TreatmentSettings,
)


@transaction.atomic
def update_treatment_settings(site, *, values: dict, actor) -> TreatmentSettings:
    """Change a site's thresholds and limits (administrators); the ceilings are constraints."""
    current = (
        TreatmentSettings.objects.select_for_update(of=("self",), no_key=True)
        .filter(site=site)
        .first()
    )
    current = current or TreatmentSettings(site=site)
    changed = [name for name, value in values.items() if getattr(current, name) != value]
    for name, value in values.items():
        setattr(current, name, value)
    current.updated_at, current.updated_by = timezone.now(), actor
    current.save()
    audit(actor, "treatment.settings.changed", obj=current, site=site, reason=",".join(changed))
    return current
