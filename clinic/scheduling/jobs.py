"""This app's periodic jobs (clinic.core.jobs), registered in SchedulingConfig.ready."""

from clinic.accounts.models import User
from clinic.scheduling.notifications import send_due_reminders
from clinic.scheduling.services import release_expired_offers


def reminders() -> dict:
    """Visit reminders that are due, and waitlist offers that expired passed on."""
    released = release_expired_offers(actor=User.objects.system_actor())
    return send_due_reminders() | {"offers_released": released}
