"""Staff pages over HTTP on PostgreSQL with a realistic data set (`make bench`, `make loadtest`).

    python3 scripts/with_postgres.py --keep var/bench-pg-20000 -- \
        .venv/bin/python bench/over_http.py [--patients 20000] [--load]

The data set (the demo centre, then N patients with ~5 visits, 3 scores, blood pressure and
weight each, and a few infusions under way) is built once in the kept cluster and reused.
gunicorn serves it with 2 sync workers and production settings on 127.0.0.1; requests come
from this process. For each primitive: median and p95 over HTTP, the ratio to `/healthz`
measured in the same run, and the query count (the same request made in this process).
With --load: an open-loop mix at increasing offered rates (see `load`).
"""

import argparse
import http.client
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
if not os.getenv("DATABASE_URL"):
    sys.exit(
        "bench/over_http.py needs PostgreSQL: run it through scripts/with_postgres.py (make bench)"
    )
# Production settings, shared with the server: sessions made here must verify there.
SERVER_ENV = {
    "DEBUG": "false",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "SECRET_KEY": "bench-secret-" + "k" * 50,
    "DB_CONN_MAX_AGE": "60",
}
os.environ.update(SERVER_ENV)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from clinic.accounts.models import User  # noqa: E402
from clinic.assessments.models import Assessment  # noqa: E402
from clinic.assessments.tests.factories import phq9_with_total  # noqa: E402
from clinic.core.demo import demo_email  # noqa: E402
from clinic.locations.models import Room, Site  # noqa: E402
from clinic.patients import search  # noqa: E402
from clinic.patients.models import (  # noqa: E402
    BloodPressure,
    BodyMeasurement,
    Patient,
    PatientSearchTerm,
)
from clinic.scheduling.clock import local_instant  # noqa: E402
from clinic.scheduling.models import Appointment, VisitType  # noqa: E402
from clinic.treatment.models import InfusionSession, SessionNote  # noqa: E402

CSRF = "benchcsrftokenbenchcsrftokenabcd"  # 32 characters: a valid unmasked CSRF secret
FAMILY = ["Шевченко", "Коваленко", "Бондаренко", "Ткаченко", "Кравченко", "Олійник", "Мельник"]
GIVEN = ["Олена", "Андрій", "Ірина", "Тарас", "Марія", "Богдан", "Наталія", "Остап"]


# --- The data set ---------------------------------------------------------------------------


def build(patients: int) -> None:
    if Patient.objects.filter(record_number__startswith="HB-").count() >= patients:
        # The demo centre grows with the code (new roles, prices): load_demo is idempotent.
        call_command("load_demo", "--force", "--quiet-logins", verbosity=0)
        print(f"data set: reusing {Patient.objects.count()} patients", flush=True)
        return
    started = time.perf_counter()
    call_command("load_demo", "--force", verbosity=0)
    sites = list(Site.objects.filter(code__in=["kyiv", "lviv"]).order_by("code"))
    actor = User.objects.get(email=demo_email("receptionist", "kyiv"))
    # Past visits spread over 20 practitioners per site, each at most one visit at a time.
    group = Group.objects.get(name="physician")
    practitioners = {}
    for site in sites:
        practitioners[site.pk] = []
        for i in range(20):
            person, created = User.objects.get_or_create(
                email=f"bench-{site.code}-{i}@bench.clinic", defaults={"full_name": f"Лікар {i}"}
            )
            if created:
                person.groups.set([group])
                person.sites.set([site])
            practitioners[site.pk].append(person)
    visit = VisitType.objects.filter(is_active=True, duration_minutes__lte=60).first()
    rng = random.Random(16)
    today = timezone.localdate()
    existing = Patient.objects.filter(record_number__startswith="HB-").count()
    batch = 2000
    for first in range(existing, patients, batch):
        rows = Patient.objects.bulk_create(
            Patient(
                record_number=f"HB-{i:06d}",
                family_name=rng.choice(FAMILY),
                given_name=f"{rng.choice(GIVEN)}{i}",
                birth_date=date(1950 + i % 50, 1 + i % 12, 1 + i % 28),
                home_site=sites[i % 2],
                created_by=actor,
            )
            for i in range(first, min(first + batch, patients))
        )
        PatientSearchTerm.objects.bulk_create(
            PatientSearchTerm(patient=p, kind=kind, term=term)
            for p in rows
            for kind, term in search.terms_for(p)
        )
        appointments, scores, pressures, weights = [], [], [], []
        for n, patient in enumerate(rows):
            site = patient.home_site
            for k in range(5):
                # Unique per site; a patient's visits are far apart.
                c = (first + n) // 2 + k * (patients // 2 + 1)
                slot = c // 20
                day = today - timedelta(days=1 + slot // 10)
                starts = local_instant(day, _clock(8 + slot % 10, 0))
                ends = starts + timedelta(minutes=visit.duration_minutes)
                appointments.append(
                    Appointment(
                        patient=patient, visit_type=visit, site=site, starts_at=starts,
                        ends_at=ends, blocked_from=starts, blocked_until=ends,
                        practitioner=practitioners[site.pk][c % 20],
                        status=Appointment.Status.COMPLETED, created_by=actor,
                    )
                )  # fmt: skip
            for k in range(3):
                at = timezone.now() - timedelta(days=30 * (3 - k) + n % 30)
                answers = phq9_with_total((n + k * 5) % 25)
                scores.append(
                    Assessment(
                        patient=patient, site=site, code="phq9", version="1",
                        mode=Assessment.Mode.STAFF, status=Assessment.Status.COMPLETED,
                        answers=answers, total=sum(answers), band="", completed_at=at,
                        created_at=at,
                    )
                )  # fmt: skip
            pressures.append(
                BloodPressure(
                    patient=patient, measured_on=today - timedelta(days=n % 90),
                    systolic=110 + n % 40, diastolic=70 + n % 20, recorded_by=actor,
                )
            )  # fmt: skip
            weights.append(
                BodyMeasurement(
                    patient=patient, measured_on=today - timedelta(days=n % 90),
                    weight_kg=Decimal(55 + n % 50), height_cm=170, recorded_by=actor,
                )
            )  # fmt: skip
        Appointment.objects.bulk_create(appointments, batch_size=2000)
        Assessment.objects.bulk_create(scores, batch_size=2000)
        BloodPressure.objects.bulk_create(pressures, batch_size=2000)
        BodyMeasurement.objects.bulk_create(weights, batch_size=2000)
        print(f"data set: {min(first + batch, patients)} patients", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"data set built in {time.perf_counter() - started:.0f} s", flush=True)


def _clock(hour, minute):
    from datetime import time as clock_time

    return clock_time(hour, minute)


# --- Signed-in clients ----------------------------------------------------------------------


def session_cookie(email: str) -> str:
    """A session for `email` made in this process; gunicorn reads it from the database."""
    client = Client()
    client.force_login(User.objects.get(email=email))
    return client.cookies[settings.SESSION_COOKIE_NAME].value


class Http:
    """One keep-alive connection to the server, one signed-in user."""

    def __init__(self, port: int, cookie: str | None = None):
        self.port = port
        self.headers = {"Host": "127.0.0.1"}
        if cookie:
            self.headers["Cookie"] = f"{settings.SESSION_COOKIE_NAME}={cookie}; csrftoken={CSRF}"
        self.connection = None

    def request(self, method, path, body=None):
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = CSRF
            body = urlencode(body)
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.connection.close()
                    self.connection = None
                return response.status
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = None
                if attempt:
                    raise
        return None


# --- The primitives -------------------------------------------------------------------------


class Primitives:
    def __init__(self):
        kyiv = Site.objects.get(code="kyiv")
        self.physician = demo_email("physician", "kyiv")
        self.receptionist = demo_email("receptionist", "kyiv")
        self.nurse = demo_email("nurse", "kyiv")
        self.cashier = demo_email("cashier", "kyiv")
        self.administrator = demo_email("administrator", "kyiv")
        self.patients = list(
            Patient.objects.filter(record_number__startswith="HB-", home_site=kyiv).values_list(
                "public_id", flat=True
            )[:2000]
        )
        self.running = list(
            InfusionSession.objects.filter(
                status__in=[InfusionSession.Status.INFUSING, InfusionSession.Status.MONITORING],
                chair__site=kyiv,
            ).values_list("public_id", flat=True)
        )
        self.visit = VisitType.objects.filter(is_active=True, duration_minutes__lte=60).first()
        self.physician_user = User.objects.get(email=self.physician)
        self.room = Room.objects.filter(site=kyiv, kind=Room.Kind.CONSULTING).first()
        self.site = kyiv
        self.rng = random.Random(7)
        # The demo's trusted people (K-0001's escort): withdrawing twice is harmless, so the
        # same grants serve every request of the primitive.
        from clinic.portal.models import TrustedPerson

        self.grants = list(
            TrustedPerson.objects.filter(patient__home_site=kyiv).values_list(
                "patient__public_id", "public_id"
            )[:50]
        )
        # Bookings of earlier runs stay in the kept data: carry on after them.
        self.booked = (
            Appointment.objects.filter(starts_at__gte=timezone.now() + timedelta(days=390)).count()
            + 6
        )
        self.lock = threading.Lock()
        self.officer = demo_email("drug_officer", "kyiv")
        # Scores no physician has reviewed: each review POST takes one (a second review of the
        # same score is refused, which would measure the refusal instead).
        self.unreviewed = list(
            Assessment.objects.not_reviewed()
            .filter(site=kyiv)
            .order_by("-completed_at")
            .values_list("public_id", flat=True)[:5000]
        )
        self.infusion_visits = list(
            Appointment.objects.filter(
                site=kyiv,
                status=Appointment.Status.BOOKED,
                room__kind=Room.Kind.INFUSION_CHAIR,
                starts_at__gte=timezone.now(),
            ).values_list("public_id", flat=True)[:200]
        ) or list(
            Appointment.objects.filter(site=kyiv, status=Appointment.Status.BOOKED).values_list(
                "public_id", flat=True
            )[:200]
        )

        self.notes = self._signed_notes(kyiv)
        self.threads = self._patient_threads(kyiv)

    def _signed_notes(self, kyiv):
        """Signed session notes the Kyiv physician wrote: the summary page and its save POST
        work on them (one is written and signed when the data set has none)."""
        mine = SessionNote.objects.filter(
            author=self.physician_user, signed_at__isnull=False, patient__home_site=kyiv
        )
        if not mine.exists() and self.patients:
            from clinic.core import records
            from clinic.treatment import services as treatment

            note = treatment.write_session_note(
                Patient.objects.get(public_id=self.patients[0]),
                kind=SessionNote.Kind.INTEGRATION,
                held_on=timezone.localdate(),
                text="bench",
                actor=self.physician_user,
            )
            records.sign_note(note, actor=self.physician_user)
        return list(mine.values_list("public_id", flat=True)[:200])

    def _patient_threads(self, kyiv, count=300):
        """Administrative messages from the data set's patients, waiting for reception: the
        reply POSTs answer them, each close POST takes one (a second close is refused)."""
        from clinic.portal.models import CareMessage, MessageThread

        waiting = list(
            MessageThread.objects.filter(
                site=kyiv, status=MessageThread.Status.OPEN, topic="administrative"
            ).values_list("public_id", flat=True)[:count]
        )
        for patient_id in Patient.objects.filter(
            record_number__startswith="HB-", home_site=kyiv
        ).values_list("pk", flat=True)[: max(0, count - len(waiting))]:
            thread = MessageThread.objects.create(
                patient_id=patient_id, site=kyiv, topic="administrative"
            )
            CareMessage.objects.create(thread=thread, text="Чи можна отримати довідку?")
            waiting.append(thread.public_id)
        return waiting

    def who(self, name):
        return {
            "dashboard": self.physician, "chart": self.physician, "search": self.receptionist,
            "day": self.receptionist, "book": self.receptionist, "vitals": self.nurse,
            "rate": self.nurse,
            "review": self.physician, "officer": self.officer,
            "confirmation": self.receptionist, "move": self.receptionist,
            "account": self.cashier, "cash": self.cashier, "pay": self.cashier,
            "portal_policies": self.administrator, "portal_policy": self.administrator,
            "portal_invite": self.receptionist,
            "portal_release": self.physician,
            "portal_revoke_trusted": self.receptionist,
            "portal_summary": self.physician, "portal_summary_save": self.physician,
            "patient_messages": self.receptionist, "patient_thread": self.receptionist,
            "patient_reply": self.receptionist, "patient_close": self.receptionist,
        }[name]  # fmt: skip

    def request(self, name):
        """(method, path, body) of one request of the primitive."""
        if name == "dashboard":
            return "GET", "/staff/", None
        if name == "chart":
            return "GET", f"/staff/patients/{self.rng.choice(self.patients)}/", None
        if name == "search":
            term = self.rng.choice(FAMILY)[: self.rng.randint(3, 6)]
            return "GET", "/staff/patients/?" + urlencode({"q": term}), None
        if name == "day":
            return "GET", "/staff/schedule/", None
        if name == "account":
            return "GET", f"/staff/billing/patients/{self.rng.choice(self.patients)}/", None
        if name == "cash":
            return "GET", "/staff/billing/cash/", None
        if name == "pay":
            body = {"method": "card", "amount": "1200"}
            return "POST", f"/staff/billing/patients/{self.rng.choice(self.patients)}/pay/", body
        if name == "book":
            with self.lock:
                self.booked += 1
                n = self.booked
            # A different future weekday and hour each time, so every booking is free.
            monday = timezone.localdate() + timedelta(days=400)
            monday -= timedelta(days=monday.weekday())
            workday = n // 6
            day = monday + timedelta(days=7 * (workday // 5) + workday % 5)
            body = {
                "exact-visit_type": self.visit.pk, "exact-site": self.site.pk,
                "exact-day": day.isoformat(), "exact-at": f"{10 + n % 6:02d}:00",
                "exact-practitioner": self.physician_user.pk, "exact-room": self.room.pk,
                "exact-occurrence": "",
            }  # fmt: skip
            return "POST", f"/staff/schedule/book/{self.rng.choice(self.patients)}/", body
        if name == "vitals":
            if not self.running:
                return "GET", "/healthz", None
            body = {
                "measured_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
                "systolic": 125, "diastolic": 80, "heart_rate": 72, "spo2": 98,
                "idempotency_key": str(uuid.uuid4()),
            }  # fmt: skip
            session = self.rng.choice(self.running)
            return "POST", f"/staff/treatment/infusions/{session}/vitals/", body
        if name == "rate":
            # A rate change on a running pump: the page's write that appends a pump event and
            # checks the site's maximum. Alternating rates, so each one is a change (a rate
            # equal to the current one, or a session no longer infusing, is refused: 302 too).
            if not self.running:
                return "GET", "/healthz", None
            with self.lock:
                self.booked += 1
                n = self.booked
            body = {"rate_ml_per_h": "140" if n % 2 else "120", "reason": "bench"}
            session = self.rng.choice(self.running)
            return "POST", f"/staff/treatment/infusions/{session}/rate/", body
        if name == "officer":  # the drug officer's start page: counts due, discrepancies
            return "GET", "/staff/", None
        if name == "review":
            with self.lock:
                score = self.unreviewed.pop() if self.unreviewed else None
            if score is None:
                return "GET", "/healthz", None
            return "POST", f"/staff/assessments/{score}/review/", {"reviewed": "1"}
        if name == "confirmation":
            visit = self.rng.choice(self.infusion_visits)
            return "GET", f"/staff/schedule/appointments/{visit}/confirmation/", None
        if name == "move":  # the move form opened from the day board, free times listed
            visit = self.rng.choice(self.infusion_visits)
            board = timezone.localdate().isoformat()
            return "GET", f"/staff/schedule/appointments/{visit}/move/?board={board}", None
        if name == "portal_policies":
            return "GET", "/staff/portal/sites/", None
        if name == "portal_policy":
            return "GET", "/staff/portal/sites/kyiv/", None
        if name == "portal_invite":
            return "POST", f"/staff/portal/patients/{self.rng.choice(self.patients)}/invite/", {}
        if name == "portal_release":
            patient = self.rng.choice(self.patients)
            return "POST", f"/staff/portal/patients/{patient}/release-scores/", {"note": ""}
        if name == "portal_revoke_trusted":
            if not self.grants:
                return "GET", "/healthz", None
            patient, grant = self.rng.choice(self.grants)
            return "POST", f"/staff/portal/patients/{patient}/trusted/{grant}/revoke/", {}
        if name in ("portal_summary", "portal_summary_save"):
            if not self.notes:
                return "GET", "/healthz", None
            path = f"/staff/portal/notes/{self.rng.choice(self.notes)}/summary/"
            if name == "portal_summary":
                return "GET", path, None
            # Saving the same text again: a write with its audit row, never a refusal.
            return "POST", path, {"text": "Короткий підсумок для пацієнта.", "action": "save"}
        if name == "patient_messages":
            return "GET", "/staff/portal/messages/", None
        if name == "patient_thread":
            return "GET", f"/staff/portal/messages/{self.rng.choice(self.threads)}/", None
        if name == "patient_reply":
            thread = self.rng.choice(self.threads)
            return "POST", f"/staff/portal/messages/{thread}/", {"text": "Так, підготуємо."}
        if name == "patient_close":
            with self.lock:
                thread = self.threads.pop() if len(self.threads) > 1 else None
            if thread is None:
                return "GET", "/healthz", None
            return "POST", f"/staff/portal/messages/{thread}/close/", {}
        raise ValueError(name)

    def queries(self, name) -> tuple[int, int]:
        """The query count and status of one request of the primitive, made in this process."""
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(User.objects.get(email=self.who(name)))
        method, path, body = self.request(name)
        call = client.post if method == "POST" else client.get
        call(path, body) if body else call(path)  # warm, as a running server would be
        method, path, body = self.request(name)
        with CaptureQueriesContext(connection) as captured:
            response = call(path, body) if body else call(path)
        return len(captured), response.status_code


# --- The server -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    env = {**os.environ, **SERVER_ENV}
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "clinic.wsgi:application",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--timeout",
            "60",
        ],  # fmt: skip
        cwd=ROOT,
        env=env,
    )
    for _ in range(100):
        try:
            if Http(port).request("GET", "/healthz") == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.terminate()
    sys.exit("gunicorn did not answer /healthz")


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * fraction), len(ordered) - 1)]


def measure(port, primitives, name, repeat) -> tuple[list[float], dict]:
    http_ = Http(port, None if name == "healthz" else session_cookie(primitives.who(name)))
    times, statuses = [], {}
    for i in range(repeat + 5):
        method, path, body = (
            ("GET", "/healthz", None) if name == "healthz" else (primitives.request(name))
        )
        start = time.perf_counter()
        status = http_.request(method, path, body)
        elapsed = time.perf_counter() - start
        if i >= 5:  # the first few warm the workers' caches
            times.append(elapsed)
            statuses[status] = statuses.get(status, 0) + 1
    return times, statuses


# Each primitive's budget: its median may cost at most this many /healthz medians of the same run.
BUDGETS = {
    "dashboard": ("dashboard", 3), "chart": ("patient chart", 25),
    "day": ("day board (reception)", 20), "search": ("name search", 12),
    "book": ("booking POST", 8), "vitals": ("vitals POST", 5), "rate": ("pump rate POST", 5),
    "officer": ("officer dashboard", 3), "review": ("score review POST", 5),
    "confirmation": ("visit confirmation", 10), "move": ("move from the board", 20),
    "account": ("billing account", 15), "cash": ("cash of the day", 15),
    "pay": ("payment POST", 8),
    "portal_policies": ("portal policies (admin)", 10),
    "portal_policy": ("portal policy (admin)", 10),
    "portal_invite": ("portal invite POST", 8), "portal_release": ("release scores POST", 5),
    "portal_revoke_trusted": ("trusted person revoke POST", 5),
    "portal_summary": ("session summary page", 10),
    "portal_summary_save": ("session summary save POST", 8),
    "patient_messages": ("messages from patients", 10),
    "patient_thread": ("patient's message thread", 10),
    "patient_reply": ("reply to a patient POST", 8),
    "patient_close": ("close a patient's thread POST", 5),
}  # fmt: skip


def bench(port, primitives, repeat):
    health, _ = measure(port, primitives, "healthz", repeat * 2)
    base = statistics.median(health)
    print(
        f"{'primitive':22} {'median':>9} {'p95':>9} {'x healthz':>10} {'budget':>7} {'':>5} "
        f"{'queries':>8}  statuses"
    )
    print(f"{'/healthz':22} {base * 1000:7.2f}ms {percentile(health, 0.95) * 1000:7.2f}ms")
    over = []
    for name, (label, budget) in BUDGETS.items():
        times, statuses = measure(port, primitives, name, repeat)
        count, _status = primitives.queries(name)
        median = statistics.median(times)
        ratio = median / base
        if ratio > budget:
            over.append(label)
        print(
            f"{label:22} {median * 1000:7.2f}ms {percentile(times, 0.95) * 1000:7.2f}ms "
            f"{ratio:9.1f}x {budget:6.0f}x {'ok' if ratio <= budget else 'OVER':>5} "
            f"{count:8d}  {statuses}",
            flush=True,
        )
    print(f"over budget: {', '.join(over)}" if over else "every primitive within its budget")


MIX = [("chart", 35), ("search", 20), ("day", 20), ("dashboard", 15), ("vitals", 10)]


def load(port, primitives, rates, seconds):
    """Open loop: requests start on a fixed schedule whatever the answers' speed, so a slow
    server shows as growing latency instead of a lower offered rate. Up to 64 in flight."""
    cookies = {name: session_cookie(primitives.who(name)) for name, _w in MIX}
    names = [name for name, weight in MIX for _ in range(weight)]
    local = threading.local()
    print(f"{'offered/s':>9} {'done/s':>7} {'p50':>8} {'p95':>8} {'p99':>8} {'errors':>6} "
          f"{'deadlocks':>9}")  # fmt: skip
    knee = None
    # A few seconds at the first rate first, unrecorded: the workers' caches warm up.
    for rate in [-rates[0], *rates]:
        warming = rate < 0
        rate = abs(rate)
        results, lock = [], threading.Lock()
        # Deadlocks: PostgreSQL logs each one; counted from pg_stat_database.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
            )
            deadlocks_before = cursor.fetchone()[0]

        def one(name, scheduled, results=results, lock=lock):
            clients = getattr(local, "clients", None)
            if clients is None:
                clients = local.clients = {n: Http(port, c) for n, c in cookies.items()}
            method, path, body = primitives.request(name)
            try:
                status = clients[name].request(method, path, body)
            except OSError:
                status = None
            with lock:
                results.append((time.perf_counter() - scheduled, status))

        rng = random.Random(rate)
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=64) as pool:
            n = 0
            while True:
                at = started + n / rate
                if at - started >= (5 if warming else seconds):
                    break
                delay = at - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(one, rng.choice(names), at)
                n += 1
        wall = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
            )
            deadlocks = cursor.fetchone()[0] - deadlocks_before
        if warming:
            continue
        latencies = [t for t, _s in results]
        errors = sum(1 for _t, s in results if s is None or s >= 500)
        p95 = percentile(latencies, 0.95)
        print(
            f"{rate:9d} {len(results) / wall:7.1f} {percentile(latencies, 0.5) * 1000:6.0f}ms "
            f"{p95 * 1000:6.0f}ms {percentile(latencies, 0.99) * 1000:6.0f}ms {errors:6d} "
            f"{deadlocks:9d}",
            flush=True,
        )
        if knee is None and (p95 > 0.3 or errors):
            knee = rate
    if knee is None:
        print(f"knee: not reached up to {rates[-1]} requests/s (p95 <= 300 ms, no errors)")
    else:
        print(f"knee: at or below {knee} requests/s (first rate with p95 > 300 ms or errors)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=60)
    parser.add_argument("--load", action="store_true")
    parser.add_argument("--rates", default="5,10,20,40,60")
    parser.add_argument("--seconds", type=int, default=30)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    build(args.patients)
    primitives = Primitives()
    print(
        f"data: {Patient.objects.count()} patients, {Appointment.objects.count()} appointments, "
        f"{Assessment.objects.count()} scores, {len(primitives.running)} infusions running at kyiv",
        flush=True,
    )
    port = free_port()
    server = start_server(port)
    try:
        if args.load:
            load(port, primitives, [int(r) for r in args.rates.split(",")], args.seconds)
        else:
            bench(port, primitives, args.repeat)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
