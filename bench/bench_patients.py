"""Patient search at 1,000 and 100,000 patients: name (Cyrillic, any case), phone, date of
birth and record number, through the indexed search-term table (`make bench`).

Prints the time per search at both sizes and their ratio; an index that stops being used shows
as a ratio far above 1. Run alone: `.venv/bin/python bench/bench_patients.py`.
"""

import random
import time
from datetime import date, timedelta

# Django is set up by bench/run.py (or by the block at the end) before run() is called, so
# the models are imported inside the functions.

# Background family names are built from roots and endings (about 1,300 distinct names, so a
# name matches ~75 of 100,000 people, as common Ukrainian names do). The searched-for people
# ("needles") have names, a phone and a date of birth outside that population, so each search
# matches the same 3 people at both sizes and only the cost of finding them is compared.
ROOTS = ["Коваль", "Шевч", "Бондар", "Ткач", "Кравч", "Олійн", "Поліщ", "Лис", "Мороз", "Савч",
         "Руд", "Гаврил", "Мельн", "Єрем", "Іван", "Петр", "Сидор", "Гончар", "Марч", "Павл",
         "Климч", "Левч", "Роман", "Захарч", "Кузьм", "Дорош", "Гнатюк", "Ярем", "Остап", "Федор",
         "Тимош", "Лук", "Назар", "Степан", "Богдан", "Юрч", "Нестер", "Прокоп", "Семен", "Карп",
         "Макар", "Гордій", "Панас", "Кирил", "Денис", "Антон", "Артем", "Вакул", "Гер", "Дем",
         "Зінч", "Ігнат", "Кость", "Лаврін", "Мирон", "Оліфер", "Пилип", "Савел", "Тарас", "Устим",
         "Філіп", "Харит", "Цвях", "Чорн", "Шпак", "Щерб", "Юхим", "Яков"]  # fmt: skip
ENDINGS = ["енко", "ук", "чук", "ишин", "ович", "ський", "ецький", "ак", "ан", "ин", "ій",
           "ко", "аш", "ега", "ило", "ота", "ура", "юк", "енків"]  # fmt: skip
NEEDLES = [("Ґудзь", "Марʼяна", "+380930001234"), ("Ґудзь", "Олена", "+380930001235"),
           ("Ґудзь", "Софія", "+380930001236")]  # fmt: skip
NEEDLE_BIRTH = date(1939, 3, 12)
GIVEN = ["Олена", "Андрій", "Ірина", "Тарас", "Софія", "Марʼяна", "Юрій", "Наталія", "Богдан",
         "Ганна", "Дмитро", "Оксана", "Василь", "Христина"]  # fmt: skip
PATRONYMIC = ["Петрівна", "Іванович", "Олегівна", "Богданович", "Романівна", ""]


def _patients(site, user, start, stop, rng):
    from clinic.patients.models import Patient
    from clinic.patients.transliteration import transliterate

    for i in range(start, stop):
        family = rng.choice(ROOTS) + rng.choice(ENDINGS)
        patient = Patient(
            record_number=f"P-{i:06d}",
            family_name=family,
            given_name=rng.choice(GIVEN),
            patronymic=rng.choice(PATRONYMIC),
            birth_date=date(1940, 1, 1) + timedelta(days=rng.randrange(25000)),
            home_site=site,
            created_by=user,
            phone=f"+38067{i:07d}",
        )
        patient.family_name_latin = transliterate(patient.family_name)
        patient.given_name_latin = transliterate(patient.given_name)
        yield patient


def _grow(site, user, upto, rng):
    from django.db import connection, transaction

    from clinic.patients.models import Patient, PatientSearchTerm
    from clinic.patients.search import terms_for

    existing = Patient.objects.filter(home_site=site).count()
    batch = 5000
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            # Loading only: a benchmark database need not survive a power cut.
            cursor.execute("PRAGMA synchronous=OFF")
    for start in range(existing, upto, batch):
        with transaction.atomic():
            created = Patient.objects.bulk_create(
                _patients(site, user, start, min(start + batch, upto), rng)
            )
            PatientSearchTerm.objects.bulk_create(
                PatientSearchTerm(patient=p, kind=kind, term=term)
                for p in created
                for kind, term in terms_for(p)
            )


def _timed(fn, repeat=20):
    fn()
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def _uses_index(query) -> str:
    from django.db import connection

    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
        else:
            cursor.execute("EXPLAIN " + sql, params)
            plan = " ".join(row[0] for row in cursor.fetchall())
    return (
        "index" if "patient_search_term_idx" in plan or "patient_site_birth_idx" in plan else "SCAN"
    )


def run():
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client

    from clinic.accounts.models import User
    from clinic.locations.models import Site
    from clinic.patients.models import Patient

    rng = random.Random(2026)
    site = Site.objects.create(
        code="bench-patients",
        name="Пошук",
        name_uk="Пошук",
        name_en="Search",
        phone="+380737308088",
    )
    user = User.objects.create_user(
        email="search-bench@test.clinic", full_name="Search", password="x"
    )
    user.groups.set([Group.objects.get(name="receptionist")])
    user.sites.set([site])
    TOTP.activate(user, generate_totp_secret())
    client = Client()
    client.force_login(user)
    session = client.session
    session["clinic_site_id"] = site.pk
    session.save()

    from clinic.patients.services import register_patient

    for n, (family, given, phone) in enumerate(NEEDLES):
        register_patient(
            record_number=f"N-{n:04d}",
            family_name=family,
            given_name=given,
            birth_date=NEEDLE_BIRTH,
            home_site=site,
            phone=phone,
            actor=user,
        )
    searches = {
        "family name, lower case": "ґудзь",
        "family and given name": "ҐУДЗЬ мар'яна",
        "Latin transliteration": "gudz",
        "phone (national format)": "093 000 12 34",
        "date of birth": "12.03.1939",
        "record number": "N-0001",
    }
    results = {}
    for size in (1_000, 100_000):
        started = time.perf_counter()
        _grow(site, user, size, rng)
        print(f"patients: {size} ({time.perf_counter() - started:.1f} s to create)")
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        for label, q in searches.items():
            query = Patient.objects.visible_to(user).at(site).matching(q)
            orm = _timed(lambda query=query: list(query[:50]))
            page = _timed(lambda q=q: client.get("/staff/patients/", {"q": q}), repeat=5)
            results.setdefault(label, []).append((orm, page, _uses_index(query)))
    for label, ((small_orm, _page, _plan), (large_orm, large_page, plan)) in results.items():
        print(
            f"search {label:26} 1k {small_orm * 1000:6.2f} ms  100k {large_orm * 1000:6.2f} ms"
            f"  ratio {large_orm / small_orm:5.2f}  page at 100k {large_page * 1000:6.1f} ms"
            f"  ({plan})"
        )


if __name__ == "__main__":
    import os
    import sys
    import tempfile
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
    if not os.getenv("DATABASE_URL"):
        os.environ["SQLITE_PATH"] = str(Path(tempfile.mkdtemp()) / "bench.sqlite3")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    run()
