"""Periodic jobs, run by the worker's scheduler (`manage.py run_jobs`, started by `make run` and
`make worker` beside `db_worker`).

Apps register their jobs in `AppConfig.ready` (core cannot import them):

    register("reminders", timedelta(minutes=5), send_reminders_job, label=_("Visit reminders"))

A job is due when it has never started or its last start is one period ago or more. Each run
writes the job's heartbeat row (`JobHeartbeat`): started, finished, outcome. A job that has not
finished for `STALE_PERIODS` periods is stale, and /readyz says so with a 503.

Every job must be safe to run twice at once (two workers, or a run overlapping a slow one):
the jobs below all take their own row locks or deduplicate their messages.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from clinic.core.models import JobHeartbeat

# A heartbeat older than this many periods means the scheduler is not running the job.
STALE_PERIODS = 3


@dataclass(frozen=True)
class Job:
    name: str
    period: timedelta
    run: Callable[[], object]
    label: str = ""  # shown to the administrator; the name is for logs and /readyz
    # A check of the records (audit trail, drug register): its last result, a break found
    # included, is on the administrator's start page (core.worklists.verification_results).
    verification: bool = False


JOBS: dict[str, Job] = {}


def register(
    name: str, period: timedelta, run: Callable[[], object], *, label="", verification=False
) -> None:
    JOBS[name] = Job(name, period, run, label, verification)


class BreaksFound(Exception):
    """A verification job found breaks: the heartbeat records them as the run's failure."""

    def __init__(self, findings: list):
        shown = "; ".join(str(finding) for finding in findings[:3])
        super().__init__(f"{len(findings)} found: {shown}")


def _heartbeats() -> dict[str, JobHeartbeat]:
    return {beat.name: beat for beat in JobHeartbeat.objects.filter(name__in=JOBS)}


def due_jobs(now: datetime | None = None) -> list[Job]:
    now = now or timezone.now()
    beats = _heartbeats()
    due = []
    for job in JOBS.values():
        beat = beats.get(job.name)
        if beat is None or beat.last_started_at is None or beat.last_started_at + job.period <= now:
            due.append(job)
    return due


def run_job(job: Job, now: datetime | None = None) -> JobHeartbeat:
    """Run one job and record its heartbeat; a failing job is recorded, never raised, so the
    other jobs still run."""
    started = now or timezone.now()
    JobHeartbeat.objects.update_or_create(
        name=job.name,
        defaults={"last_started_at": started, "last_outcome": JobHeartbeat.Outcome.RUNNING},
    )
    try:
        job.run()
    except Exception as exc:  # noqa: BLE001 - the heartbeat records it; the loop goes on
        outcome, error = JobHeartbeat.Outcome.FAILED, f"{type(exc).__name__}: {exc}"[:300]
    else:
        outcome, error = JobHeartbeat.Outcome.OK, ""
    finished = timezone.now() if now is None else now
    JobHeartbeat.objects.filter(name=job.name).update(
        last_finished_at=finished, last_outcome=outcome, last_error=error
    )
    return JobHeartbeat.objects.get(name=job.name)


def run_due(now: datetime | None = None) -> dict[str, str]:
    """Run every due job once; {job name: outcome}."""
    return {job.name: run_job(job, now).last_outcome for job in due_jobs(now)}


def stale_jobs(now: datetime | None = None) -> list[str]:
    """Jobs whose last finished run is older than STALE_PERIODS periods.

    A job that has no heartbeat yet is not stale: a fresh installation whose worker has not
    started is seen by the heartbeats page, not by the load balancer.
    """
    now = now or timezone.now()
    stale = []
    for name, beat in _heartbeats().items():
        limit = JOBS[name].period * STALE_PERIODS
        last = beat.last_finished_at or beat.last_started_at
        if last is None or last + limit < now:
            stale.append(name)
    return sorted(stale)


def heartbeats_overview(now: datetime | None = None) -> list[dict]:
    """Every registered job with its heartbeat (None before its first run), for the
    administrator's page."""
    now = now or timezone.now()
    beats = _heartbeats()
    stale = set(stale_jobs(now))
    return [
        {"job": job, "beat": beats.get(job.name), "stale": job.name in stale}
        for job in sorted(JOBS.values(), key=lambda job: job.name)
    ]
