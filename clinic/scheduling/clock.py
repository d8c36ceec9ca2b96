"""Local wall-clock time in Europe/Kyiv and the instants it names.

Everything is stored and computed in UTC; local times are turned into instants here and only
here. A wall time that does not exist (the spring-forward hour) or exists twice (the fall-back
hour) is refused with a message that names what happened (security.md §7.5).
"""

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _

KYIV = ZoneInfo(settings.TIME_ZONE)


class AmbiguousTime(ValueError):
    """A local time that names no instant, or two."""


def _round_trips(value: datetime) -> bool:
    return value.astimezone(UTC).astimezone(KYIV).replace(tzinfo=None) == value.replace(tzinfo=None)


def is_gap(day: date, at: time) -> bool:
    """The wall time is skipped on this day (clocks go forward)."""
    return not _round_trips(datetime.combine(day, at, tzinfo=KYIV))


def is_fold(day: date, at: time) -> bool:
    """The wall time happens twice on this day (clocks go back)."""
    first = datetime.combine(day, at, tzinfo=KYIV)
    second = first.replace(fold=1)
    return not is_gap(day, at) and first.utcoffset() != second.utcoffset()


def local_instant(day: date, at: time, *, fold: int | None = None) -> datetime:
    """The UTC instant of a local wall time; refuses gaps, and folds unless `fold` is given."""
    if is_gap(day, at):
        raise AmbiguousTime(
            _("%(time)s does not exist on %(day)s: the clocks go forward that night.")
            % {"time": at.strftime("%H:%M"), "day": day.strftime("%d.%m.%Y")}
        )
    if is_fold(day, at) and fold is None:
        raise AmbiguousTime(
            _(
                "%(time)s happens twice on %(day)s: the clocks go back that night. "
                "Choose the first or the second %(time)s."
            )
            % {"time": at.strftime("%H:%M"), "day": day.strftime("%d.%m.%Y")}
        )
    return datetime.combine(day, at, tzinfo=KYIV).replace(fold=fold or 0).astimezone(UTC)


@lru_cache(maxsize=4096)
def window_start(day: date, at: time) -> datetime:
    """The first instant of a span that begins at a wall time: inside a gap, the moment the
    clocks resume; inside a fold, the earlier of the two."""
    if is_gap(day, at):
        return _transition(day, at)
    return datetime.combine(day, at, tzinfo=KYIV).replace(fold=0).astimezone(UTC)


@lru_cache(maxsize=4096)
def window_end(day: date, at: time) -> datetime:
    """The last instant of a span that ends at a wall time: inside a gap, the moment the
    clocks jumped; inside a fold, the later of the two."""
    if is_gap(day, at):
        return _transition(day, at)
    return datetime.combine(day, at, tzinfo=KYIV).replace(fold=1).astimezone(UTC)


def _transition(day: date, at: time) -> datetime:
    """The instant the clocks jumped over a skipped wall time.

    zoneinfo reads a skipped time with the offset before (fold=0) or after (fold=1) the
    change; the jump lies between the two readings, found by walking minute by minute.
    """
    moment = datetime.combine(day, at, tzinfo=KYIV)
    low = moment.replace(fold=1).astimezone(UTC)
    high = moment.replace(fold=0).astimezone(UTC)
    low, high = min(low, high), max(low, high)
    after = high.astimezone(KYIV).utcoffset()
    probe = low.replace(second=0, microsecond=0)
    while probe < high and probe.astimezone(KYIV).utcoffset() != after:
        probe += timedelta(minutes=1)
    return probe


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[local midnight, next local midnight) as UTC instants: 23, 24 or 25 hours."""
    return window_start(day, time(0)), window_start(day + timedelta(days=1), time(0))


def local(value: datetime) -> datetime:
    return value.astimezone(KYIV)


def days(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)
