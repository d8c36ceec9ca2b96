"""Issue 15's whole journey against the stack as `make run` starts it: `scripts/serve.sh` (the
Makefile's `run` target calls it) migrates a fresh SQLite file, loads the demo centre and starts
the worker (tasks and periodic jobs) beside the development server, here on a port other than
8000 (the configured base URL follows the port).

A person sends the public contact form; reception signs in with the demo password and one-time
code, calls the inquiry back, registers it as a patient (the name read in the Ukrainian order)
and books a first consultation. The demo physician approves a course of six infusions (the
record's own pages are tested there; here the same service runs through `manage.py shell` on
the stack's database) and its page links reception to the booking of the planned sessions:
the series goes on the second chair offered, and the last infusion moves from the day board to
another chair and time. That infusion's reminder is made due in the database file (the one step
that stands for the passing of time: the worker runs in its own process and clock), then the
worker's own scheduler hands it to the outbox and the outbox to the development sender, whose
log is read here. The reminder names the new time and its link is absolute on the server's base
URL and opens there. What the pages wrote is read from the stack's SQLite file. The journey on
the test database (so on PostgreSQL too) is clinic/scheduling/tests/test_journey.py.

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
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from clinic.conftest import current_totp_code
from clinic.core.demo import DEMO_PASSWORD, demo_email, demo_totp_secret
from clinic.core.tests.test_browser import CHROMIUM_ARGS
from clinic.scheduling.tests.test_journey import slot_choices

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
            yield {
                "base": base,
                "db": tmp_path / "clinic.sqlite3",
                "log": tmp_path / "worker.log",
                "env": env | {"DEBUG": "true"},
            }
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def rows(db, sql, *params):
    with sqlite3.connect(db, timeout=30) as connection:
        return connection.execute(sql, params).fetchall()


def one(db, sql, *params):
    found = rows(db, sql, *params)
    assert len(found) == 1, f"one row expected, {len(found)} found: {sql}"
    return found[0]


def moment(value: str) -> datetime:
    """A datetime column of the SQLite file (UTC without an offset) as an aware datetime."""
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def make_due(db, reminder_id):
    """The reminder's time has come, and the scheduler is to look for it at its next pass."""
    due = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S")
    with sqlite3.connect(db, timeout=30) as connection:
        connection.execute(
            "UPDATE scheduling_notification SET send_after = ? WHERE id = ?", (due, reminder_id)
        )
        connection.execute("DELETE FROM core_jobheartbeat WHERE name = 'reminders'")


def manage_shell(stack, code: str) -> str:
    """Run `code` in `manage.py shell` on the stack's database; its last printed line."""
    done = subprocess.run(
        [".venv/bin/python", "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=stack["env"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def signed_in_page(browser, base, email):
    """A page of a fresh browser signed in as on the real site: password, then one-time code."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "django_language", "value": "uk", "url": base}])
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(base + "/staff/")
    page.fill("#id_login", email)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/accounts/2fa/authenticate/")
    page.fill("input[name=code]", current_totp_code(demo_totp_secret(email)))
    page.click("main button[type=submit]")
    page.wait_for_url("**/staff/")
    return page


def key_time(key: str) -> datetime:
    """The start time a slot key names (the one part of it that is a datetime)."""
    return next(datetime.fromisoformat(part) for part in key.split("|") if "T" in part)


PHONE = "+380671234567"


def test_the_whole_journey_on_the_stack_make_run_starts_with_the_reminder_from_its_worker(
    stack, chromium_path
):
    from playwright.sync_api import expect, sync_playwright

    base, db = stack["base"], stack["db"]
    assert not base.endswith(":8000")
    kyiv = ZoneInfo("Europe/Kyiv")
    (kyiv_site,) = one(db, "SELECT id FROM locations_site WHERE code = 'kyiv'")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            # A person writes in through the public contact form.
            person = browser.new_page()
            person.set_default_timeout(20_000)
            person.goto(base + "/uk/zvernennia/")
            person.fill("#id_name", "Прохоренко Вікторія Олегівна")
            person.fill("#id_phone", "067 123 45 67")
            person.select_option("#id_site", str(kyiv_site))
            person.select_option("#id_topic", "trd")
            person.check("#id_consent")
            person.wait_for_timeout(3100)  # the form refuses what is sent faster than a person
            person.click("main button[type=submit]")
            person.wait_for_url("**/uk/zvernennia/diakuiemo/")
            (inquiry_id,) = one(
                db, "SELECT public_id FROM inquiries_inquiry WHERE phone = ?", PHONE
            )

            # Reception calls back and registers the patient; the name is read in the
            # Ukrainian order.
            page = signed_in_page(browser, base, demo_email("receptionist", "kyiv"))
            page.goto(f"{base}/staff/inquiries/{uuid.UUID(inquiry_id)}/")
            status = page.locator("form[action$='/status/']")
            status.locator("select").select_option("contacted")
            status.locator("button[type=submit]").click()
            expect(page.locator("#id_family_name")).to_have_value("Прохоренко")
            expect(page.locator("#id_given_name")).to_have_value("Вікторія")
            page.fill("#id_birth_date", "1988-04-12")
            page.click("form[action$='/convert/'] button[type=submit]")
            page.wait_for_url("**/staff/patients/**")
            patient_pk, patient_id, given, patronymic = one(
                db,
                """SELECT id, public_id, given_name, patronymic FROM patients_patient
                   WHERE family_name = 'Прохоренко'""",
            )
            assert (given, patronymic) == ("Вікторія", "Олегівна")
            patient_id = uuid.UUID(patient_id)

            # A first consultation at the Kyiv site.
            (first,) = one(
                db, "SELECT id FROM scheduling_visittype WHERE code = ?", "first_consultation"
            )
            page.goto(f"{base}/staff/schedule/book/{patient_id}/")
            page.select_option("#id_visit_type", str(first))
            for box in page.locator("input[name=sites]").all():
                if (box.get_attribute("value") == str(kyiv_site)) != box.is_checked():
                    box.click()
            page.click("form.filters button[type=submit]")
            page.locator("button.slot").first.click()
            page.wait_for_url("**/appointments/**")
            assert rows(
                db,
                """SELECT status FROM scheduling_appointment
                   WHERE patient_id = ? AND visit_type_id = ?""",
                patient_pk,
                first,
            ) == [("booked",)]

            # The physician approves a course of six infusions (the record's own pages, tested
            # there); its page links to the booking of the planned sessions.
            physician = demo_email("physician", "kyiv")
            course_id = manage_shell(
                stack,
                "from clinic.accounts.models import User\n"
                "from clinic.patients.models import Patient\n"
                "from clinic.treatment.tests.factories import make_course\n"
                f"patient = Patient.objects.get(public_id='{patient_id}')\n"
                f"print(make_course(patient, User.objects.get(email='{physician}')).public_id)",
            )
            doctor = signed_in_page(browser, base, physician)
            doctor.goto(f"{base}/staff/treatment/courses/{course_id}/")
            book_link = doctor.locator("a[href*='?course=']", has_text="Записати заплановані")
            href = book_link.get_attribute("href")
            doctor.context.close()

            # Reception books the series from that link, on the second chair offered.
            (infusion,) = one(
                db, "SELECT id FROM scheduling_visittype WHERE code = ?", "ketamine_infusion"
            )
            page.goto(base + href)
            expect(page.locator("p.notice[role=status]")).to_contain_text("6")
            expect(page.locator("#id_visit_type")).to_have_value(str(infusion))
            page.click("form.filters button[type=submit]")
            chairs = page.locator("ul.slots li").first.locator("a.slot-series")
            assert chairs.count() > 1
            slot = parse_qs(urlsplit(chairs.nth(1).get_attribute("href")).query)["slot"][0]
            chosen = int(slot.rsplit("|", 1)[1])  # the key ends with the chair's id
            chairs.nth(1).click()
            page.wait_for_url("**/series/**")
            weekday = page.locator("input[name=weekdays]:checked").first.get_attribute("value")
            page.locator(f"input[name=weekdays][value='{int(weekday) % 5 + 2}']").check()
            page.click("form.filters button[type=submit]")
            page.locator("form[method=post] button[type=submit]").last.click()
            page.wait_for_url("**/appointments/**")
            series, series_course = one(
                db,
                """SELECT s.id, c.public_id FROM scheduling_series s
                   JOIN courses_course c ON c.id = s.course_id WHERE s.patient_id = ?""",
                patient_pk,
            )
            assert uuid.UUID(series_course) == uuid.UUID(course_id)
            visits = rows(
                db,
                """SELECT a.id, a.public_id, a.starts_at, a.room_id, r.kind
                   FROM scheduling_appointment a JOIN locations_room r ON r.id = a.room_id
                   WHERE a.series_id = ? ORDER BY a.starts_at""",
                series,
            )
            assert len(visits) == 6 and {v[4] for v in visits} == {"infusion_chair"}
            assert visits[0][3] == chosen  # the chair chosen on the booking page

            # The last infusion moves from the day board to another chair and time.
            last_pk, last_id, last_start, last_room, _kind = visits[-1]
            last_id, last_start = uuid.UUID(last_id), moment(last_start)
            page.goto(f"{base}/staff/schedule/?date={last_start.astimezone(kyiv).date()}")
            page.click(f"a.move-link[href*='/appointments/{last_id}/move/']")
            expect(page.locator("#cell-panel .move-panel")).to_be_visible()
            index, key = next(
                (i, k)
                for i, k in slot_choices(page)
                if key_time(k) != last_start and not k.endswith(f"|{last_room}")
            )
            form = page.locator("#cell-panel ul.slots form").nth(index)
            if form.locator("select[name=slot]").count():
                form.locator("select[name=slot]").select_option(key)
            form.locator("button[type=submit]").click()
            page.wait_for_url("**/staff/schedule/?date=*")
            expect(page.locator(".messages")).to_contain_text("Перенесено.")
            starts_at, room, status = one(
                db,
                "SELECT starts_at, room_id, status FROM scheduling_appointment WHERE id = ?",
                last_pk,
            )
            moved_at = moment(starts_at)
            assert moved_at == key_time(key) and moved_at != last_start
            assert room != last_room and status == "booked"

            # The moved infusion's reminder falls due; the worker started by serve.sh delivers it.
            reminder_id, for_starts_at = one(
                db,
                """SELECT id, for_starts_at FROM scheduling_notification
                   WHERE appointment_id = ? AND kind = 'reminder' AND state = 'scheduled'""",
                last_pk,
            )
            assert moment(for_starts_at) == moved_at
            make_due(db, reminder_id)

            def delivered():
                # Other visits' reminders may go out too (one booked soon may fall due at
                # once); the moved infusion's is the one whose link names it.
                log = stack["log"].read_text(encoding="utf-8", errors="replace")
                sent = re.findall(
                    rf"to {re.escape(PHONE)}: (Нагадування:.*?)(https?://\S+)", log, flags=re.S
                )
                return [(text, link) for text, link in sent if str(last_id) in link]

            ((text, link),) = wait_until(
                delivered, DELIVERY_SECONDS, "the reminder in the worker's log"
            )
            assert moved_at.astimezone(kyiv).strftime("%H:%M") in text
            # Its link is absolute on the server's base URL (the patient was invited to the
            # portal when registered) and opens there, on the patient's own phone (a browser
            # without the staff sign-in): the portal asks the patient to sign in first.
            assert link == f"{base}/uk/portal/visits/{last_id}/"
            phone = browser.new_page()
            assert phone.goto(link).ok
            assert phone.url.startswith(f"{base}/uk/portal/sign-in/")
            expect(phone.locator("main form").first).to_be_visible()
        finally:
            browser.close()

    assert one(
        db,
        """SELECT n.state, m.status FROM scheduling_notification n
           JOIN core_outboxmessage m ON m.id = n.message_id WHERE n.id = ?""",
        reminder_id,
    ) == ("queued", "sent")
    # The old time's reminder was withdrawn by the move and never went out.
    assert rows(
        db,
        """SELECT state, drop_reason FROM scheduling_notification
           WHERE appointment_id = ? AND kind = 'reminder' AND for_starts_at = ?""",
        last_pk,
        last_start.strftime("%Y-%m-%d %H:%M:%S"),
    ) == [("dropped", "moved")]
