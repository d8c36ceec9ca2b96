"""Worklists on the staff start page: what is waiting for this person, one click from the action.

`core` knows no app above it, so each app registers its lists in `AppConfig.ready()`, like the
menu (navigation.py):

    register("doses", _("Doses to sign"), roles={Role.PHYSICIAN}, items=doses_to_sign,
             empty=_("No dose waits for a signature."), position=20)

`empty` is the text of an empty list, or a function `(user, site) -> str` when what is done
depends on the data (the last verification of the records says when it ran).

`items(user, site)` returns the `WorkItem`s of the user's current site, at most `CAP` of them
(slice the queryset), in a fixed number of queries whatever the data. The page shows `LIMIT`
and says how many more wait. A list is shown to a user who holds one of its roles; an empty
list says what is done.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from clinic.core import jobs
from clinic.core.models import JobHeartbeat, OutboxMessage

# Items shown per list, and the most a list reads ("50 or more" beyond).
LIMIT = 12
CAP = 50


@dataclass(frozen=True)
class WorkItem:
    text: str
    url: str
    detail: str = ""
    when: datetime | None = None
    # Shown first and marked: overdue vitals, an open alert, an offer about to lapse.
    urgent: bool = False


@dataclass(frozen=True)
class Worklist:
    key: str
    title: str
    roles: frozenset
    items: Callable
    empty: object  # a text, or a function (user, site) -> text
    position: int


@dataclass(frozen=True)
class FilledList:
    worklist: Worklist
    items: list
    total: int
    empty: str = ""

    @property
    def more(self) -> int:
        return self.total - len(self.items)

    @property
    def capped(self) -> bool:
        return self.total >= CAP


_lists: dict[str, Worklist] = {}


def register(key: str, title, *, roles: Iterable, items: Callable, empty, position: int) -> None:
    """Add one worklist. Registering a key again replaces it."""
    _lists[key] = Worklist(key, title, frozenset(roles), items, empty, position)


def worklists() -> list[Worklist]:
    return sorted(_lists.values(), key=lambda worklist: (worklist.position, worklist.key))


def for_user(user, site) -> list[FilledList]:
    """The lists of the user's roles, filled for the current site (none without a site)."""
    if site is None:
        return []
    filled = []
    for worklist in worklists():
        if not any(user.has_role(role) for role in worklist.roles):
            continue
        items = list(worklist.items(user, site))[:CAP]
        items.sort(key=lambda item: not item.urgent)  # stable: urgent first, order kept
        empty = worklist.empty
        if items:
            empty = ""
        elif isinstance(empty, Callable):
            empty = empty(user, site)
        filled.append(FilledList(worklist, items[:LIMIT], len(items), str(empty)))
    return filled


# Core's own lists (the administrator's) -------------------------------------------------------


def dead_letters(user, site) -> list[WorkItem]:
    """Messages of the site that failed permanently: each needs a retry or another channel."""

    messages = OutboxMessage.objects.filter(site=site, status=OutboxMessage.Status.DEAD).order_by(
        "-created_at", "-pk"
    )[:CAP]
    return [
        WorkItem(
            text=message.recipient,
            url=reverse("core:outbox") + "?status=dead",
            detail=message.last_error or _("failed permanently"),
            urgent=True,
        )
        for message in messages
    ]


def stale_jobs(user, site) -> list[WorkItem]:
    """Periodic jobs that have not finished for several of their periods, or whose last run
    failed (the worker's scheduler stopped, or a job cannot do its work)."""

    url = reverse("core:outbox") + "#jobs"
    items = []
    for row in jobs.heartbeats_overview():
        beat = row["beat"]
        failed = beat is not None and beat.last_outcome == JobHeartbeat.Outcome.FAILED
        if row["job"].verification:
            failed = False  # a break found is shown by verification_results, with its findings
        if row["stale"] or failed:
            items.append(
                WorkItem(
                    text=str(row["job"].label or row["job"].name),
                    url=url,
                    detail=beat.last_error if failed else _("not run for too long"),
                    urgent=True,
                )
            )
    return items


def _verifications() -> list[dict]:
    return [row for row in jobs.heartbeats_overview() if row["job"].verification]


def verification_results(user, site) -> list[WorkItem]:
    """Checks of the records (audit trail, drug register) that found a break, failed to run or
    have not run yet: each is for the administrator to look into (docs/deploy.md)."""
    items = []
    for row in _verifications():
        beat, job = row["beat"], row["job"]
        label = str(job.label or job.name)
        if beat is None or beat.last_finished_at is None:
            detail = _("not verified yet")
        elif beat.last_outcome == JobHeartbeat.Outcome.FAILED:
            detail = _("%(when)s: %(result)s") % {
                "when": date_format(timezone.localtime(beat.last_finished_at), "d.m.Y H:i"),
                "result": beat.last_error,
            }
        elif row["stale"]:
            detail = _("not verified since %(when)s") % {
                "when": date_format(timezone.localtime(beat.last_finished_at), "d.m.Y H:i")
            }
        else:
            continue
        items.append(
            WorkItem(text=label, url=reverse("core:outbox") + "#jobs", detail=detail, urgent=True)
        )
    return items


def verification_summary(user, site) -> str:
    """What the last checks found when all were intact: when each ran."""
    done = [
        _("%(check)s: intact on %(when)s")
        % {
            "check": row["job"].label or row["job"].name,
            "when": date_format(timezone.localtime(row["beat"].last_finished_at), "d.m.Y H:i"),
        }
        for row in _verifications()
        if row["beat"] is not None and row["beat"].last_finished_at is not None
    ]
    return " ".join([_("No break found.")] + [f"{line}." for line in done])
