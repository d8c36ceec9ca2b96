"""Treatment: the chair board and a vitals write, at a few chairs and at many."""

import time
import uuid
from datetime import date
from decimal import Decimal

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from clinic.accounts.models import User
from clinic.locations.models import Room, Site
from clinic.patients.models import ConsentPurpose, Patient
from clinic.patients.services import record_consent
from clinic.treatment import services
from clinic.treatment.models import PreCheck


def _user(email, role, site):
    user = User.objects.create_user(email=email, full_name=email, password="x")
    user.groups.set([Group.objects.get(name=role)])
    user.sites.set([site])
    TOTP.activate(user, generate_totp_secret())
    return User.objects.get(pk=user.pk)


def _ketamine_holding(site):
    """A lot of ketamine 50 mg/ml in a safe of the site, to prepare the doses from."""
    from clinic.controlled_drugs.models import Drug, Holding, Lot, Safe

    drug, _ = Drug.objects.get_or_create(
        code="bench-ketamine",
        defaults={
            "inn": "Ketamine", "substance": "ketamine", "dosage_form": "injection_solution",
            "concentration_mg_per_ml": Decimal("50"), "unit_content_mg": Decimal("100"),
            "unit_of_account": "ampoule",
        },
    )  # fmt: skip
    safe, _ = Safe.objects.get_or_create(site=site, name="Bench safe")
    lot, _ = Lot.objects.get_or_create(
        site=site, drug=drug, batch_number="BENCH", defaults={"expires_on": date(2030, 1, 1)}
    )
    return Holding.objects.get_or_create(lot=lot, safe=safe)[0]


def prepare_and_check(session, *, nurse, checker):
    prepared = services.record_dose_preparation(
        session,
        prepared=services.PreparationInput(
            holding=_ketamine_holding(session.site),
            method="diluted_bag",
            final_volume_ml=Decimal("100"),
        ),
        actor=nurse,
    )
    services.check_dose_preparation(
        session,
        drug_volume_ml=prepared.drug_volume_ml,
        rate_ml_per_h=prepared.rate_ml_per_h,
        actor=checker,
    )


def _reading(session, nurse, systolic=130):
    from django.utils import timezone

    services.record_vitals(
        session,
        reading=services.VitalsInput(
            measured_at=timezone.now(), systolic=systolic, diastolic=80, heart_rate=70, spo2=98
        ),
        idempotency_key=uuid.uuid4(),
        actor=nurse,
    )


def _fill(site, nurse, physician, start, count, readings):
    from django.utils import timezone

    sessions = []
    for n in range(start, start + count):
        chair = Room.objects.create(site=site, name=f"Chair {n}", kind=Room.Kind.INFUSION_CHAIR)
        patient = Patient.objects.create(
            record_number=f"BT-{n:05d}", family_name="Тест", given_name=f"П{n}",
            birth_date=date(1990, 1, 1), home_site=site, created_by=nurse,
        )  # fmt: skip
        record_consent(
            patient, purpose=ConsentPurpose.KETAMINE, given=True, channel="paper",
            given_at=timezone.now(), actor=physician,
        )  # fmt: skip
        course = services.approve_course(
            patient, modality="iv_ketamine", indication="bench", planned_sessions=6,
            eligibility_confirmed=True, actor=physician,
        )  # fmt: skip
        session = services.open_infusion_session(course, chair=chair, actor=nurse)
        services.record_precheck(
            session,
            check=services.PreCheckInput(
                weight_kg=Decimal("70"), weight_measured_on=timezone.localdate(), systolic=120,
                diastolic=80, heart_rate=70, spo2=98, resp_rate=14, fasting_hours=6,
                escort_name="E", escort_phone="1", escort_relation="", advice_given="",
                pregnancy=PreCheck.Pregnancy.NOT_APPLICABLE,
                breastfeeding=PreCheck.Breastfeeding.NOT_APPLICABLE,
            ),
            actor=nurse,
        )  # fmt: skip
        services.sign_dose(session, mg_per_kg=Decimal("0.5"), minutes=40, actor=physician)
        prepare_and_check(session, nurse=nurse, checker=physician)
        services.start_infusion(session, actor=nurse)
        for r in range(readings):
            _reading(session, nurse, systolic=185 if r == 0 else 130)
        sessions.append(session)
    return sessions


def run():
    site = Site.objects.create(code="bench-t", name="Bench", phone="+380737308088")
    nurse = _user("bench.nurse@test.clinic", "nurse", site)
    physician = _user("bench.physician@test.clinic", "physician", site)
    client = Client()
    client.force_login(nurse)
    results = {}
    sessions = _fill(site, nurse, physician, 1, 3, 4)
    for size, add in ((3, 0), (30, 27)):
        if add:
            sessions += _fill(site, nurse, physician, 4, add, 12)
        with CaptureQueriesContext(connection) as queries:
            client.get("/staff/board/partial/")
        count = len(queries)  # now: each later request clears the query log
        start = time.perf_counter()
        for _ in range(10):
            client.get("/staff/board/partial/")
        results[size] = (count, (time.perf_counter() - start) / 10)
    print(f"chair board queries: {results[3][0]} at 3 chairs, {results[30][0]} at 30")
    print(
        f"{'chair board partial (3 -> 30 chairs)':44} small {results[3][1] * 1000:8.2f} ms  "
        f"large {results[30][1] * 1000:8.2f} ms  ratio {results[30][1] / results[3][1]:5.2f}"
    )
    start = time.perf_counter()
    for _ in range(50):
        _reading(sessions[-1], nurse)
    print(f"record_vitals: {(time.perf_counter() - start) / 50 * 1000:.2f} ms per reading")
    # The pump's record: a rate change appends an event and recomputes nothing; the amount
    # given is computed from all of a session's events, so it is timed at 2 and at 40 events.
    from clinic.treatment.selectors import pump_delivery

    timings = {}
    pumped = sessions[-1]
    for size in (2, 40):
        while pumped.pump_events.count() < size:
            rate = Decimal("140") if pumped.pump_events.count() % 2 else Decimal("120")
            services.change_infusion_rate(pumped, rate_ml_per_h=rate, reason="bench", actor=nurse)
        start = time.perf_counter()
        for _ in range(20):
            pump_delivery(pumped)
        timings[size] = (time.perf_counter() - start) / 20
    print(
        f"{'amount given (2 -> 40 pump events)':44} small {timings[2] * 1000:8.2f} ms  "
        f"large {timings[40] * 1000:8.2f} ms  ratio {timings[40] / timings[2]:5.2f}"
    )
    start = time.perf_counter()
    for n in range(20):
        rate = Decimal("130") if n % 2 else Decimal("110")
        services.change_infusion_rate(pumped, rate_ml_per_h=rate, reason="bench", actor=nurse)
    print(f"change_infusion_rate: {(time.perf_counter() - start) / 20 * 1000:.2f} ms per change")
