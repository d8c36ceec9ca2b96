from django.db import transaction

from clinic.core.audit import audit
from clinic.locations.models import Site
from clinic.patients.models import Patient


@transaction.atomic
def register_patient(
    *,
    record_number,
    family_name,
    given_name,
    patronymic="",
    birth_date,
    home_site,
    actor,
    **details,
) -> Patient:
    """Open a patient record at a site. `details`: contact fields and care team (model fields)."""
    patient = Patient.objects.create(
        record_number=record_number,
        family_name=family_name,
        given_name=given_name,
        patronymic=patronymic,
        birth_date=birth_date,
        home_site=home_site,
        created_by=actor,
        **details,
    )
    audit(actor, "patient.registered", patient, obj=patient)
    return patient


def next_record_number(site) -> str:
    """The next free record number at a site: K-0001, K-0002, ... (first letter of the code).

    Call inside a transaction; the site row is locked so two registrations at the same site
    cannot take the same number.
    """
    Site.objects.select_for_update().filter(pk=site.pk).first()
    prefix = site.code[:1].upper()
    number = Patient.objects.filter(record_number__startswith=f"{prefix}-").count() + 1
    while Patient.objects.filter(record_number=f"{prefix}-{number:04d}").exists():
        number += 1
    return f"{prefix}-{number:04d}"
