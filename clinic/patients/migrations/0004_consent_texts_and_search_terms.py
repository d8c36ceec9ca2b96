from django.db import migrations


def load(apps, schema_editor):
    from clinic.patients import search
    from clinic.patients.defaults import load_consent_wordings
    from clinic.patients.transliteration import transliterate

    load_consent_wordings(apps)
    Patient = apps.get_model("patients", "Patient")
    PatientSearchTerm = apps.get_model("patients", "PatientSearchTerm")
    for patient in Patient.objects.all().iterator():
        patient.family_name_latin = patient.family_name_latin or transliterate(patient.family_name)
        patient.given_name_latin = patient.given_name_latin or transliterate(patient.given_name)
        patient.save(update_fields=["family_name_latin", "given_name_latin"])
        PatientSearchTerm.objects.bulk_create(
            PatientSearchTerm(patient=patient, kind=kind, term=term)
            for kind, term in search.terms_for(patient)
        )


class Migration(migrations.Migration):
    dependencies = [("patients", "0003_patient_record")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
