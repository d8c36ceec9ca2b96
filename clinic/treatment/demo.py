"""A realistic infusion day on both sites' chair boards, for the demo centre.

Everything goes through the services, as staff would enter it; afterwards the times are
moved back so the day is already under way (a demo-only step: services always use "now").
Idempotent: a site that already has infusion sessions is left alone.
"""

import uuid
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from clinic.accounts.models import User
from clinic.core import records
from clinic.core.demo import demo_email
from clinic.courses.models import Course, Modality
from clinic.locations.models import Room
from clinic.patients import selectors as record_selectors
from clinic.patients import services as record_services
from clinic.patients.models import Consent, ConsentPurpose, Patient
from clinic.treatment import services
from clinic.treatment.models import (
    Discharge,
    DoseOrder,
    DosePreparation,
    InfusionSession,
    InfusionStatusChange,
    InteractionRule,
    PreCheck,
    PreparationMethod,
    SessionNote,
    SessionScore,
    TesSession,
)

# The demo patients on the infusion boards and their weight; the demo register lays out a
# month of their earlier infusions at the same weight-based dose.
DEMO_INFUSION_WEIGHTS_KG = {
    "K-0001": Decimal("64.5"),
    "K-0002": Decimal("82.4"),
    "K-0003": Decimal("58.0"),
    "L-0002": Decimal("61.0"),
}


def _staff(role, code):
    return User.objects.get(email=demo_email(role, code))


def _record_for_course(patient, physician):
    """What the chart must hold before a ketamine course: the signed consent and, where the
    screen finds no contraindication, the physician's eligibility decision."""
    if not record_selectors.has_consent(patient, ConsentPurpose.KETAMINE):
        record_services.record_consent(
            patient,
            purpose=ConsentPurpose.KETAMINE,
            given=True,
            channel=Consent.Channel.PAPER,
            given_at=timezone.now() - timedelta(days=7),
            actor=physician,
        )
    if record_selectors.current_ketamine_eligibility(patient) is None and not any(
        finding.is_contraindication for finding in record_selectors.ketamine_screen(patient)
    ):
        record_services.decide_ketamine_eligibility(
            patient,
            is_eligible=True,
            reasons="Скринінг без протипоказань, супровід домовлено.",
            actor=physician,
        )


def _course(patient, physician, *, indication="Резистентна депресія"):
    course = Course.objects.filter(patient=patient, modality=Modality.IV_KETAMINE).first()
    if course is None:
        _record_for_course(patient, physician)
        course = services.approve_course(
            patient,
            modality=Modality.IV_KETAMINE,
            indication=indication,
            planned_sessions=6,
            plan="Індукція: 6 інфузій за 2-3 тижні, далі підтримувальні за потреби.",
            # Stands in only where the screen left the decision open (no decision on file).
            eligibility_confirmed=True,
            actor=physician,
        )
    return course


def _precheck(session, nurse, *, weight, bp=(128, 82)):
    # What the chart says (allergies, breastfeeding, interacting medicines) is entered as is.
    chart = services.precheck_initial(session.patient)
    services.record_precheck(
        session,
        check=services.PreCheckInput(
            allergies=chart["allergies"],
            drugs=tuple(InteractionRule.objects.filter(pk__in=chart.get("drugs", ()))),
            weight_kg=Decimal(weight),
            weight_measured_on=timezone.localdate(),
            systolic=bp[0],
            diastolic=bp[1],
            heart_rate=74,
            spo2=98,
            resp_rate=14,
            fasting_hours=6,
            escort_name="Супровідник (демо)",
            escort_phone="+380671112233",
            escort_relation="родина",
            pregnancy=chart.get("pregnancy", PreCheck.Pregnancy.NOT_APPLICABLE),
            breastfeeding=chart.get("breastfeeding", PreCheck.Breastfeeding.NOT_APPLICABLE),
            advice_given="",
        ),
        actor=nurse,
    )


def _vitals(session, nurse, minutes_ago, bp, hr=78, spo2=98, now=None):
    services.record_vitals(
        session,
        reading=services.VitalsInput(
            measured_at=now - timedelta(minutes=minutes_ago),
            systolic=bp[0],
            diastolic=bp[1],
            heart_rate=hr,
            spo2=spo2,
            resp_rate=14,
        ),
        idempotency_key=uuid.uuid4(),
        actor=nurse,
    )


def _score(session, nurse, code, point, answers, *, minutes_ago, now):
    score = services.record_score(session, code=code, point=point, answers=answers, actor=nurse)
    SessionScore.objects.filter(pk=score.pk).update(
        recorded_at=now - timedelta(minutes=minutes_ago)
    )


def _back_date(session, *, checked_in, started=None, ended=None, discharged=None, now):
    """Move a session's times back (demo only), history rows with them."""
    fields = {"checked_in_at": now - timedelta(minutes=checked_in)}
    if started is not None:
        fields["infusion_started_at"] = now - timedelta(minutes=started)
    if ended is not None:
        fields["infusion_ended_at"] = now - timedelta(minutes=ended)
    if discharged is not None:
        fields["discharged_at"] = now - timedelta(minutes=discharged)
    InfusionSession.objects.filter(pk=session.pk).update(
        created_at=fields["checked_in_at"], **fields
    )
    if discharged is not None:
        Discharge.objects.filter(session=session).update(at=fields["discharged_at"])
    PreCheck.objects.filter(session=session).update(
        recorded_at=fields["checked_in_at"] + timedelta(minutes=5)
    )
    if started is not None:
        DoseOrder.objects.filter(session=session).update(
            signed_at=fields["infusion_started_at"] - timedelta(minutes=6)
        )
        DosePreparation.objects.filter(dose__session=session).update(
            prepared_at=fields["infusion_started_at"] - timedelta(minutes=4),
            checked_at=fields["infusion_started_at"] - timedelta(minutes=2),
        )
    for change in InfusionStatusChange.objects.filter(session=session):
        at = {
            "scheduled": fields["checked_in_at"],
            "checked_in": fields["checked_in_at"],
            "prechecked": fields["checked_in_at"] + timedelta(minutes=5),
            "infusing": fields.get("infusion_started_at"),
            "monitoring": fields.get("infusion_ended_at"),
            "discharged": fields.get("discharged_at"),
        }.get(change.status)
        if at is not None:
            InfusionStatusChange.objects.filter(pk=change.pk).update(at=at)
    session.refresh_from_db()
    return session


@contextmanager
def _pump_clock(moment):
    from clinic.treatment.services import pump

    saved = pump.clock
    pump.clock = lambda: moment
    try:
        yield
    finally:
        pump.clock = saved


def _prepare(session, *, nurse, checker, method):
    """The signed dose made up from the site's ketamine lot by the nurse (undiluted in a pump
    syringe, or 100 ml in a bag) and double-checked by the physician at the chair."""
    from clinic.controlled_drugs.selectors import ketamine_holdings

    prepared = services.record_dose_preparation(
        session,
        prepared=services.PreparationInput(
            holding=ketamine_holdings(session.site).first(),
            method=method,
            final_volume_ml=None if method == PreparationMethod.UNDILUTED_SYRINGE else Decimal(100),
        ),
        actor=nurse,
    )
    services.check_dose_preparation(
        session,
        drug_volume_ml=prepared.drug_volume_ml,
        rate_ml_per_h=prepared.rate_ml_per_h,
        actor=checker,
    )


def _run(
    patient,
    chair,
    *,
    nurse,
    physician,
    weight,
    started,
    ended=None,
    now,
    method=PreparationMethod.DILUTED_BAG,
):
    """Check in, pre-check, dose, preparation and its check, and start; the pump started
    `started` minutes ago."""
    course = _course(patient, physician)
    session = services.open_infusion_session(course, chair=chair, actor=nurse)
    _precheck(session, nurse, weight=weight)
    services.sign_dose(
        session,
        mg_per_kg=course.target_dose_mg_per_kg,
        minutes=course.infusion_minutes,
        actor=physician,
    )
    _prepare(session, nurse=nurse, checker=physician, method=method)
    # The pump's events carry the times the pump ran, from which the amount given follows.
    with _pump_clock(now - timedelta(minutes=started)):
        services.start_infusion(session, actor=nurse)
    session = _back_date(session, checked_in=started + 20, started=started, now=now)
    if ended is not None:
        with _pump_clock(now - timedelta(minutes=ended)):
            services.end_infusion(session, actor=nurse)
        session = _back_date(
            session, checked_in=started + 20, started=started, ended=ended, now=now
        )
    return session


def _account_for_ampoule(session, nurse, physician):
    """The session's ampoule in the register, at the time the infusion ended: one ampoule
    drawn, the session's dose given, the residue destroyed before the physician."""
    from clinic.controlled_drugs.demo import backdated
    from clinic.controlled_drugs.selectors import ketamine_holdings

    holding = ketamine_holdings(session.site).first()
    # Entered when the infusion ended, or after the register's last entry if that is later
    # (the register's entries follow each other in time).
    last = holding.entries.order_by("-seq").values_list("recorded_at", flat=True).first()
    with backdated(max(session.infusion_ended_at, last)):
        services.record_ketamine_administration(
            session,
            holding=holding,
            drawn_mg=holding.lot.drug.unit_content_mg,
            witness=physician,
            act_number=f"ЗЛ-{session.infusion_ended_at:%m%d}-{session.patient.record_number}",
            actor=nurse,
        )


def load_demo(*, actor, sites):
    """Fill both boards: chairs in different phases, one overdue reading, one BP alert."""
    now = timezone.now()
    chairs = {
        code: list(Room.objects.filter(site=site, kind=Room.Kind.INFUSION_CHAIR).order_by("name"))
        for code, site in sites.items()
    }
    patients = {p.record_number: p for p in Patient.objects.filter(home_site__in=sites.values())}
    if "kyiv" in sites and not InfusionSession.objects.filter(site=sites["kyiv"]).exists():
        nurse, physician = _staff("nurse", "kyiv"), _staff("physician", "kyiv")
        # Chair 1: infusing for 25 minutes; the last pressure is over the alert limit.
        first = _run(
            patients["K-0001"], chairs["kyiv"][0], nurse=nurse, physician=physician,
            weight=DEMO_INFUSION_WEIGHTS_KG["K-0001"], started=25, now=now,
            method=PreparationMethod.UNDILUTED_SYRINGE,
        )  # fmt: skip
        _vitals(first, nurse, 20, (132, 84), now=now)
        _vitals(first, nurse, 10, (148, 92), now=now)
        _vitals(first, nurse, 1, (186, 104), hr=96, now=now)
        # Chair 2: after the infusion; the 15-minute reading is overdue.
        second = _run(
            patients["K-0002"], chairs["kyiv"][1], nurse=nurse, physician=physician,
            weight=DEMO_INFUSION_WEIGHTS_KG["K-0002"], started=75, ended=35, now=now,
        )  # fmt: skip
        for minutes, bp in ((70, (126, 80)), (60, (134, 86)), (50, (142, 90)), (40, (138, 88))):
            _vitals(second, nurse, minutes, bp, now=now)
        _vitals(second, nurse, 34, (130, 84), now=now)
        cadss6 = [2, 1, 0, 3, 1, 0]  # items 1, 2, 6, 7, 15, 22
        _score(second, nurse, "cadss6", "during", cadss6, minutes_ago=36, now=now)
        # Chair 3: observed long enough, Aldrete 10: ready for discharge.
        third = _run(
            patients["K-0003"], chairs["kyiv"][2], nurse=nurse, physician=physician,
            weight=DEMO_INFUSION_WEIGHTS_KG["K-0003"], started=125, ended=85, now=now,
        )  # fmt: skip
        for minutes in (120, 110, 100, 90, 75, 60, 45, 30, 15, 3):
            _vitals(third, nurse, minutes, (124, 78), hr=72, now=now)
        _score(third, nurse, "moaas", "during", [5], minutes_ago=85, now=now)
        aldrete = [2] * 5  # every criterion at its best
        _score(third, nurse, "aldrete", "discharge", aldrete, minutes_ago=4, now=now)
        _account_for_ampoule(third, nurse, physician)
        # A TES session and a psychotherapy note, so the chart shows more than infusions.
        tes_room = Room.objects.filter(site=sites["kyiv"], kind=Room.Kind.TES).first()
        if tes_room and not TesSession.objects.exists():
            tes = services.start_tes_session(
                patients["K-0002"], room=tes_room, device="Demo tDCS", serial_number="SN-0001",
                stimulation="tdcs", anode="F3", cathode="SO_right",
                electrode_area_cm2=Decimal("25"), current_ma=Decimal("2.0"), minutes=30,
                ramp_up_seconds=30, ramp_down_seconds=30, skin_before="intact", actor=nurse,
            )  # fmt: skip
            services.complete_tes_session(
                tes, skin_after="redness", skin_after_note="легке почервоніння під анодом",
                sensations="поколювання перші хвилини", actor=nurse,
            )  # fmt: skip
    if "lviv" in sites and not InfusionSession.objects.filter(site=sites["lviv"]).exists():
        nurse, physician = _staff("nurse", "lviv"), _staff("physician", "lviv")
        # Yesterday's infusion, discharged: an integration session is to be offered.
        yesterday = _run(
            patients["L-0002"], chairs["lviv"][1], nurse=nurse, physician=physician,
            weight=DEMO_INFUSION_WEIGHTS_KG["L-0002"], started=26 * 60, ended=26 * 60 - 40, now=now,
        )  # fmt: skip
        aldrete = [2] * 5  # every criterion at its best
        _score(yesterday, nurse, "aldrete", "discharge", aldrete, minutes_ago=24 * 60 + 5, now=now)
        _account_for_ampoule(yesterday, nurse, physician)
        services.discharge_patient(
            yesterday, escort_confirmed=True, instructions_given=True, actor=nurse
        )
        _back_date(
            yesterday, checked_in=26 * 60 + 20, started=26 * 60, ended=26 * 60 - 40,
            discharged=24 * 60, now=now,
        )  # fmt: skip
        # Chair 1: checked in, pre-check done, waiting for the physician's dose.
        course = _course(patients["L-0001"], physician)
        waiting = services.open_infusion_session(course, chair=chairs["lviv"][0], actor=nurse)
        _precheck(waiting, nurse, weight="90.2")
        _back_date(waiting, checked_in=12, now=now)
    if "kyiv" in sites and not SessionNote.objects.exists():
        psychotherapist = _staff("psychotherapist", "kyiv")
        note = services.write_session_note(
            patients["K-0001"],
            kind=SessionNote.Kind.PSYCHOTHERAPY,
            held_on=timezone.localdate() - timedelta(days=2),
            text="Підготовча сесія перед курсом: очікування, страхи, домовленості про супровід.",
            actor=psychotherapist,
        )
        records.sign_note(note, actor=psychotherapist)
    if "lviv" in sites:
        _book_visit_awaiting_infusion(sites["lviv"], patients.get("L-0002"), actor=actor)


def _book_visit_awaiting_infusion(site, patient, *, actor):
    """A ketamine visit later today with no session yet, for the board's "start" list; when
    the demo is loaded after the day's last free chair time there is none."""
    from clinic.scheduling import services as scheduling
    from clinic.scheduling.availability import find_slots
    from clinic.scheduling.models import Appointment, VisitType

    infusion = VisitType.objects.filter(code="ketamine_infusion").first()
    if patient is None or infusion is None:
        return
    today = timezone.localdate()
    if Appointment.objects.on(today).filter(patient=patient, visit_type=infusion).exists():
        return
    slots = find_slots(infusion, sites=[site], first_day=today, last_day=today, patient=patient)
    if slots:
        _course(patient, _staff("physician", site.code))
        slot = slots[0]
        scheduling.book_appointment(
            patient,
            visit_type=infusion,
            site=site,
            starts_at=slot.starts_at,
            practitioner=slot.practitioner,
            room=slot.room,
            actor=actor,
        )
