"""Scale benchmarks: does the cost of a page or a write grow with the data? (`make bench`)

Each benchmark measures the same operation at a small and a large data size and prints the
ratio large/small. Flat operations should stay near 1.0 and never grow their query count.
Runs against a scratch SQLite database (or DATABASE_URL if set). Each app may add its own
benchmarks as `bench/bench_<name>.py` with a `run()` function; they run after these, in name
order, on the same database (so each creates its own sites and users).
"""

import importlib
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
if not os.getenv("DATABASE_URL"):
    os.environ["SQLITE_PATH"] = str(Path(tempfile.mkdtemp()) / "bench.sqlite3")

import django  # noqa: E402

django.setup()

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from clinic.accounts.models import User  # noqa: E402
from clinic.core.audit import audit, verify_chains  # noqa: E402
from clinic.core.models import AuditEvent  # noqa: E402
from clinic.locations.models import Site  # noqa: E402
from clinic.patients.models import Patient  # noqa: E402


def timed(fn, repeat):
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def report(name, small, large, unit="ms"):
    print(
        f"{name:44} small {small * 1000:8.2f} {unit}  large {large * 1000:8.2f} {unit}  "
        f"ratio {large / small:5.2f}"
    )


def main():
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    site = Site.objects.create(
        code="kyiv", name="Київ", name_uk="Київ", name_en="Kyiv", phone="+380737308088"
    )
    user = User.objects.create_user(email="bench@test.clinic", full_name="Bench", password="x")
    user.groups.set([Group.objects.get(name="physician")])
    user.sites.set([site])
    TOTP.activate(user, generate_totp_secret())
    client = Client()
    client.force_login(user)

    def add_patients(upto):
        existing = Patient.objects.count()
        Patient.objects.bulk_create(
            Patient(
                record_number=f"B-{i:06d}",
                family_name="Тест",
                given_name=f"П{i}",
                birth_date=date(1990, 1, 1),
                home_site=site,
                created_by=user,
            )
            for i in range(existing, upto)
        )

    # 1. Patient list: query count and time at 10 and 1000 patients.
    results = {}
    for size in (10, 1000):
        add_patients(size)
        with CaptureQueriesContext(connection) as queries:
            client.get("/staff/patients/")
        results[size] = (len(queries), timed(lambda: client.get("/staff/patients/"), 10))
    print(f"patient list queries: {results[10][0]} at 10 patients, {results[1000][0]} at 1000")
    report("patient list page (10 -> 1000 patients, paged)", results[10][1], results[1000][1])

    # 2. Audit append: cost per event with a short and a long chain.
    small = timed(lambda: audit(user, "bench.event"), 200)
    for _ in range(20):
        for _ in range(500):
            audit(user, "bench.event")
    large = timed(lambda: audit(user, "bench.event"), 200)
    report("audit append (200 -> 10,000 rows)", small, large)

    # 3. Chain verification per 1000 rows (linear by design; reported for capacity planning).
    start = time.perf_counter()
    findings = verify_chains()
    elapsed = time.perf_counter() - start
    rows = AuditEvent.objects.count()
    print(
        f"verify_audit: {rows} rows in {elapsed:.2f} s ({elapsed / rows * 1000 * 1000:.2f} ms "
        f"per 1000 rows), {len(findings)} findings"
    )
    reset_queries()

    for module in sorted(Path(__file__).parent.glob("bench_*.py")):
        print(f"-- {module.stem}")
        importlib.import_module(module.stem).run()


if __name__ == "__main__":
    main()
