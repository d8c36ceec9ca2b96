"""The one place this app learns about appointments.

The scheduling app (appointments and visit types such as `ketamine_infusion`) supplies the
visits; until it is wired in, there are none, and only "every N days" schedules produce work.
"""

from datetime import datetime
from typing import NamedTuple


class Visit(NamedTuple):
    patient_id: int
    visit_type_code: str
    starts_at: datetime
    ref: str = ""  # the appointment's public id, kept with the assessment given before it


def upcoming_visits(start: datetime, end: datetime) -> list[Visit]:
    """Visits starting in [start, end), as `Visit` tuples.

    The scheduling app supplies this (its appointments, not cancelled, with their visit type
    code); it returns an empty list until that app is wired in.
    """
    return []
