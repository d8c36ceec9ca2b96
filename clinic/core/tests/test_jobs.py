"""The worker's scheduler: which jobs are due, the heartbeat each run leaves, /readyz on stale
jobs."""

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from clinic.core import jobs
from clinic.core.models import JobHeartbeat

pytestmark = pytest.mark.django_db


@pytest.fixture
def only(monkeypatch):
    """Replace the registered jobs with the given ones for one test."""

    def install(*registered):
        monkeypatch.setattr(jobs, "JOBS", {job.name: job for job in registered})

    return install


def test_the_apps_register_the_periodic_jobs():
    assert {"reminders", "due_questionnaires", "alert_escalation", "outbox", "ledger_anchors"} <= (
        set(jobs.JOBS)
    )


def test_a_job_is_due_first_then_once_per_period(only):
    calls = []
    only(jobs.Job("tick", timedelta(minutes=5), lambda: calls.append(1)))
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert jobs.run_due() == {"tick": "ok"}
    with time_machine.travel(start + timedelta(minutes=4), tick=False):
        assert jobs.run_due() == {}
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        assert jobs.run_due() == {"tick": "ok"}
    assert len(calls) == 2
    beat = JobHeartbeat.objects.get(name="tick")
    assert beat.last_started_at == start + timedelta(minutes=5)
    assert beat.last_finished_at == start + timedelta(minutes=5)


def test_a_failing_job_is_recorded_and_the_others_still_run(only):
    ran = []

    def broken():
        raise ValueError("gateway said no")

    only(
        jobs.Job("broken", timedelta(minutes=1), broken),
        jobs.Job("fine", timedelta(minutes=1), lambda: ran.append(1)),
    )
    assert jobs.run_due() == {"broken": "failed", "fine": "ok"}
    beat = JobHeartbeat.objects.get(name="broken")
    assert beat.last_outcome == "failed" and beat.last_error == "ValueError: gateway said no"
    assert beat.last_finished_at is not None
    assert ran == [1]


def test_a_heartbeat_older_than_a_few_periods_is_stale(only):
    only(jobs.Job("tick", timedelta(minutes=5), lambda: None))
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert jobs.stale_jobs() == []  # never ran: not stale (no heartbeat yet)
        jobs.run_due()
    with time_machine.travel(start + timedelta(minutes=15), tick=False):
        assert jobs.stale_jobs() == []
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        assert jobs.stale_jobs() == ["tick"]


def test_readyz_says_503_when_a_job_is_stale_and_ok_once_it_runs(client, only):
    only(jobs.Job("tick", timedelta(minutes=5), lambda: None))
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        jobs.run_due()
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json() == {"status": "jobs stale", "jobs": ["tick"]}
        jobs.run_due()
        assert client.get("/readyz").status_code == 200


def test_the_command_runs_the_due_jobs_once(only, capsys):
    calls = []
    only(jobs.Job("tick", timedelta(minutes=5), lambda: calls.append(1)))
    call_command("run_jobs", "--once")
    assert calls == [1]
    assert "tick: ok" in capsys.readouterr().out


def test_the_real_jobs_run_on_an_empty_database():
    outcomes = jobs.run_due()
    assert set(outcomes) == set(jobs.JOBS)
    failed = JobHeartbeat.objects.filter(last_outcome="failed").values_list("name", "last_error")
    assert list(failed) == []


def test_the_administrator_sees_each_jobs_heartbeat_on_the_outbox_page(admin_client, only):
    only(
        jobs.Job("tick", timedelta(minutes=5), lambda: None, "Ticking"),
        jobs.Job("idle", timedelta(minutes=5), lambda: None, "Idle"),
    )
    jobs.run_job(jobs.JOBS["tick"])
    page = admin_client.get("/staff/outbox/").content.decode()
    assert "Ticking" in page and "Idle" in page
    assert "не запускалося" in page  # the idle job has not run yet
