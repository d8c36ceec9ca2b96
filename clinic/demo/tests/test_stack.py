"""The whole stack as `make run` starts it: `scripts/serve.sh` (the Makefile's `run` target
calls it) migrates a fresh SQLite file, loads the demo centre and starts the worker (tasks and
periodic jobs) beside the development server, here on a port other than 8000.

Reception signs in with the demo password and one-time code and opens the demo portal
patient's next visit. Its reminder is made due in the database file (the one step that stands
for the passing of time: the worker runs in its own process and clock), then the worker's own
scheduler hands it to the outbox and the outbox to the development sender, whose log is read
here. The reminder's link must be absolute on the server's base URL and open there.

The test drives its own server and database file, not pytest-django's test database, so it
runs in the SQLite run only; on PostgreSQL the same stack would need a throwaway cluster.
"""

import os
import re
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from clinic.conftest import current_totp_code
from clinic.core.demo import DEMO_PASSWORD, demo_email, demo_totp_secret
from clinic.core.tests.test_browser import CHROMIUM_ARGS

# The stack runs on its own SQLite file: the test belongs to the SQLite pass (left out, not
# skipped, in the PostgreSQL one).
pytestmark = [pytest.mark.browser, pytest.mark.sqlite]

ROOT = Path(__file__).resolve().parents[3]
STARTUP_SECONDS = 600  # an upper bound: migrations and the demo take far less on an idle machine
DELIVERY_SECONDS = 120  # the scheduler looks every 30 s; the outbox delivers at once


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(1)
    raise AssertionError(f"gave up waiting for {what}")


def answers(url):
    def check():
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    return check


@pytest.fixture
def stack(tmp_path):
    """`scripts/serve.sh` on a free port with its own database file and logs."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PUBLIC_BASE_URL")}
    env |= {
        "PORT": str(port),
        "SQLITE_PATH": str(tmp_path / "clinic.sqlite3"),
        "LOG_DIR": str(tmp_path),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    with open(tmp_path / "serve.log", "w") as output:
        process = subprocess.Popen(
            ["bash", "scripts/serve.sh"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # the server's reloader and the worker share its group
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until(answers(base + "/healthz"), STARTUP_SECONDS, "the server to answer")
            yield {"base": base, "db": tmp_path / "clinic.sqlite3", "log": tmp_path / "worker.log"}
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def next_reminder(db):
    """(reminder id, appointment id) of the demo portal patient's next scheduled reminder."""
    with sqlite3.connect(db, timeout=30) as connection:
        row = connection.execute(
            """SELECT n.id, a.public_id FROM scheduling_notification n
               JOIN scheduling_appointment a ON a.id = n.appointment_id
               JOIN patients_patient p ON p.id = a.patient_id
               WHERE p.record_number = 'K-0001' AND n.kind = 'reminder'
                 AND n.state = 'scheduled' AND a.status = 'booked'
               ORDER BY a.starts_at LIMIT 1"""
        ).fetchone()
    assert row is not None, "the demo portal patient has a visit with a reminder ahead"
    return row[0], uuid.UUID(row[1])


def make_due(db, reminder_id):
    """The reminder's time has come, and the scheduler is to look for it at its next pass."""
    due = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S")
    with sqlite3.connect(db, timeout=30) as connection:
        connection.execute(
            "UPDATE scheduling_notification SET send_after = ? WHERE id = ?", (due, reminder_id)
        )
        connection.execute("DELETE FROM core_jobheartbeat WHERE name = 'reminders'")


def test_make_runs_worker_delivers_the_reminder_with_a_link_that_opens_on_its_port(
    stack, chromium_path
):
    from playwright.sync_api import expect, sync_playwright

    base = stack["base"]
    assert not base.endswith(":8000")
    email = demo_email("receptionist", "kyiv")
    reminder_id, appointment_id = next_reminder(stack["db"])

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(20_000)

            # Reception signs in as on the real site: password, then the one-time code.
            page.goto(base + "/staff/")
            page.fill("#id_login", email)
            page.fill("#id_password", DEMO_PASSWORD)
            page.click("main button[type=submit]")
            page.wait_for_url("**/accounts/2fa/authenticate/")
            page.fill("input[name=code]", current_totp_code(demo_totp_secret(email)))
            page.click("main button[type=submit]")
            page.wait_for_url("**/staff/")
            page.goto(f"{base}/staff/schedule/appointments/{appointment_id}/")
            expect(page.locator("main")).to_contain_text("K-0001")

            # The worker started by serve.sh delivers the reminder.
            make_due(stack["db"], reminder_id)

            def delivered():
                log = stack["log"].read_text(encoding="utf-8", errors="replace")
                found = re.search(r"Нагадування:.*?(https?://\S+)", log, flags=re.S)
                return found and found.group(1)

            link = wait_until(delivered, DELIVERY_SECONDS, "the reminder in the worker's log")
            assert link == f"{base}/uk/portal/visits/{appointment_id}/"

            # The link opens on this server, on the patient's own phone (a browser without the
            # staff sign-in): the portal asks the patient to sign in first.
            phone = browser.new_page()
            response = phone.goto(link)
            assert response.ok
            assert phone.url == f"{base}/uk/portal/sign-in/"
            expect(phone.locator("main form").first).to_be_visible()
        finally:
            browser.close()

    with sqlite3.connect(stack["db"], timeout=30) as connection:
        state, status = connection.execute(
            """SELECT n.state, m.status FROM scheduling_notification n
               JOIN core_outboxmessage m ON m.id = n.message_id WHERE n.id = ?""",
            (reminder_id,),
        ).fetchone()
    assert (state, status) == ("queued", "sent")
