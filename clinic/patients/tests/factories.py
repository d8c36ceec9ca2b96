"""Plain factories for the patient record's tests."""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from clinic.accounts.models import User
from clinic.formulary.models import Drug
from clinic.patients import services
from clinic.patients.models import Intake


def drug(code: str) -> Drug:
    return Drug.objects.get(code=code)


def make_registered(site, number="K-0001", **fields):
    defaults = {
        "family_name": "Коваленко",
        "given_name": "Олена",
        "patronymic": "Петрівна",
        "birth_date": date(1990, 1, 1),
        "sex": "female",
    }
    defaults.update(fields)
    return services.register_patient(
        record_number=number, home_site=site, actor=User.objects.system_actor(), **defaults
    )


def make_intake(patient, actor=None, **fields) -> Intake:
    data = {"episode_onset": timezone.localdate() - timedelta(days=400), "severity": "moderate"}
    data.update(fields)
    return services.record_intake(patient, data=data, actor=actor or User.objects.system_actor())


def make_trial(patient, code="sertraline", *, dose=100, weeks=8, improvement=10, **fields):
    today = timezone.localdate()
    started = fields.pop("started_on", today - timedelta(weeks=weeks + 10))
    data = {
        "drug": drug(code),
        "daily_dose_mg": Decimal(dose) if dose is not None else None,
        "started_on": started,
        "stopped_on": fields.pop("stopped_on", started + timedelta(weeks=weeks)),
        "adherence": fields.pop("adherence", "good"),
        "improvement_pct": improvement,
        "stop_reason": fields.pop("stop_reason", "ineffective"),
    }
    data.update(fields)
    return services.add_antidepressant_trial(patient, actor=User.objects.system_actor(), **data)
