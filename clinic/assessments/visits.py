"""The one place this app learns about appointments (the scheduling app's)."""

from datetime import datetime
from typing import NamedTuple

from clinic.scheduling.models import Appointment


class Visit(NamedTuple):
    patient_id: int
    visit_type_code: str
    starts_at: datetime
    ref: str = ""  # the appointment's public id, kept with the assessment given before it


def upcoming_visits(start: datetime, end: datetime) -> list[Visit]:
    """Booked visits starting in [start, end), as `Visit` tuples.

    Only visits still to come count: a cancelled, missed or finished visit needs no
    questionnaire before it.
    """
    rows = (
        Appointment.objects.filter(
            status=Appointment.Status.BOOKED, starts_at__gte=start, starts_at__lt=end
        )
        .order_by("starts_at")
        .values_list("patient_id", "visit_type__code", "starts_at", "public_id")
    )
    return [Visit(pid, code, at, str(ref)) for pid, code, at, ref in rows]
