"""The site's self-service policy as pure functions: may the patient move or cancel this visit,
and may it go to that time. Each refusal is a sentence the patient reads.

The numbers (notice hours, days between infusions) are the clinic's own, UNCONFIRMED policy,
kept as data on `PortalPolicy` with their provenance; nothing here is a clinical constant.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


@dataclass(frozen=True)
class Policy:
    notice_hours: int
    movable_type_ids: frozenset[int]
    infusion_type_ids: frozenset[int]
    min_days_between_infusions: int


@dataclass(frozen=True)
class Visit:
    visit_type_id: int
    starts_at: datetime
    is_booked: bool


@dataclass(frozen=True)
class CourseWindow:
    """The approved course an infusion belongs to: open from `opens` to `closes` (inclusive)."""

    active: bool
    opens: date
    closes: date | None


def _notice(policy: Policy) -> str:
    return ngettext(
        "at least %(hours)s hour before it",
        "at least %(hours)s hours before it",
        policy.notice_hours,
    ) % {"hours": policy.notice_hours}


def change_refusal(policy: Policy, visit: Visit, now: datetime) -> str | None:
    """Why the patient may not move or cancel this visit themselves, or None."""
    if not visit.is_booked:
        return _("This visit can no longer be changed.")
    allowed = policy.movable_type_ids | policy.infusion_type_ids
    if visit.visit_type_id not in allowed:
        return _("Visits of this kind are moved or cancelled by phoning the centre.")
    if visit.starts_at - now < timedelta(hours=policy.notice_hours):
        return _("A visit can be changed here only %(notice)s. Please phone the centre.") % {
            "notice": _notice(policy)
        }
    return None


def move_refusal(
    policy: Policy,
    visit: Visit,
    new_start: datetime,
    now: datetime,
    *,
    other_infusions: list[datetime] = (),
    course: CourseWindow | None = None,
) -> str | None:
    """Why the visit may not go to `new_start`, or None. `other_infusions`: the start times of
    the patient's other booked infusions; `course`: the approved course of an infusion."""
    reason = change_refusal(policy, visit, now)
    if reason:
        return reason
    if new_start - now < timedelta(hours=policy.notice_hours):
        return _("The new time must be %(notice)s.") % {"notice": _notice(policy)}
    if visit.visit_type_id not in policy.infusion_type_ids:
        return None
    if course is None or not course.active:
        return _("Infusions can be moved only inside an approved course of treatment.")
    day = timezone.localtime(new_start).date()
    if day < course.opens or (course.closes is not None and day > course.closes):
        return _("The new date is outside your approved course of treatment.")
    gap = policy.min_days_between_infusions
    for other in other_infusions:
        apart = abs((timezone.localtime(other).date() - day).days)
        if apart < gap:
            return ngettext(
                "Infusions must be at least %(days)s day apart: you have another one on %(date)s.",
                "Infusions must be at least %(days)s days apart: you have another one on %(date)s.",
                gap,
            ) % {"days": gap, "date": timezone.localtime(other).strftime("%d.%m.%Y")}
    return None
