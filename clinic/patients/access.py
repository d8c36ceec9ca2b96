from django.core.exceptions import PermissionDenied
from django.http import Http404

from clinic.core.audit import audit
from clinic.core.models import AuditEvent
from clinic.patients.models import Patient


def get_patient_for(user, public_id) -> Patient:
    """The only way a view obtains a patient.

    Non-clinical roles are refused outright. A patient of another site answers 404, as if
    absent, so the existence of a record is not disclosed; the attempt is audited.
    """
    if not user.is_clinical:
        raise PermissionDenied
    patient = Patient.objects.select_related("home_site").filter(public_id=public_id).first()
    if patient is None:
        raise Http404
    if patient.home_site_id not in user.site_ids:
        audit(
            user,
            "patient.chart.viewed",
            patient,
            outcome=AuditEvent.Outcome.DENIED,
            reason="patient of another site",
        )
        raise Http404
    return patient
