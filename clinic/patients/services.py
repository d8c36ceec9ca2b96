from django.db import transaction

from clinic.core.audit import audit
from clinic.patients.models import Patient


@transaction.atomic
def register_patient(
    *, record_number, family_name, given_name, patronymic="", birth_date, home_site, actor
) -> Patient:
    """Open a patient record at a site."""
    patient = Patient.objects.create(
        record_number=record_number,
        family_name=family_name,
        given_name=given_name,
        patronymic=patronymic,
        birth_date=birth_date,
        home_site=home_site,
        created_by=actor,
    )
    audit(actor, "patient.registered", patient, obj=patient)
    return patient
