"""Rating scales: the chart section and the outcomes page at small and large histories."""

import time
from datetime import date, timedelta

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clinic.accounts.models import User
from clinic.assessments.instruments import score
from clinic.assessments.models import Assessment
from clinic.locations.models import Site
from clinic.patients.models import Patient


def _timed(fn, repeat=10):
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def _add_history(patient, site, count):
    now = timezone.now()
    rows = []
    for n in range(count):
        answers = [n % 4] * 8 + [0]
        result = score("phq9", answers)
        at = now - timedelta(days=count - n)
        rows.append(
            Assessment(
                patient=patient,
                site=site,
                code="phq9",
                version=result.version,
                mode="staff",
                status="completed",
                answers=answers,
                total=result.total,
                band=result.band,
                completed_at=at,
                created_at=at,
            )
        )
    Assessment.objects.bulk_create(rows)


def run():
    site = Site.objects.create(
        code="bench-scales", name="Бенч", name_uk="Бенч", name_en="Bench", phone="+380737308088"
    )
    user = User.objects.create_user(email="bench-scales@test.clinic", full_name="B", password="x")
    user.groups.set([Group.objects.get(name="physician"), Group.objects.get(name="administrator")])
    user.sites.set([site])
    TOTP.activate(user, generate_totp_secret())
    client = Client()
    client.force_login(user)
    patient = Patient.objects.create(
        record_number="BS-1",
        family_name="Бенч",
        given_name="П",
        birth_date=date(1990, 1, 1),
        home_site=site,
        created_by=user,
    )
    chart = f"/staff/patients/{patient.public_id}/"
    for label, url in (
        ("patient chart with scales", chart),
        ("outcomes page", "/staff/assessments/outcomes/"),
    ):
        results = {}
        for size in (5, 500):
            _add_history(patient, site, size - Assessment.objects.filter(patient=patient).count())
            with CaptureQueriesContext(connection) as queries:
                client.get(url)
            results[size] = (len(queries), _timed(lambda u=url: client.get(u)))
        small, large = results[5], results[500]
        print(
            f"{label:44} queries {small[0]} -> {large[0]}; "
            f"{small[1] * 1000:.1f} ms -> {large[1] * 1000:.1f} ms ({large[1] / small[1]:.2f}x)"
        )
        Assessment.objects.filter(patient=patient).delete()
