"""What was given is what is recorded (issue 14, part 3): rate changes, pauses and an early
stop with their times; the amount given computed from them and entered in the register; the
rest destroyed before a witness; single-use ampoules counted whole; two ampoules for a dose."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from clinic.conftest import authenticate_recently
from clinic.controlled_drugs.models import Holding, Kind, LedgerEntry
from clinic.controlled_drugs.tests.factories import make_drug, make_safe, receive
from clinic.core.models import AuditEvent
from clinic.treatment import delivery, links, preparation, services
from clinic.treatment.models import DosePreparation, InfusionSession, PumpEvent, TreatmentSettings
from clinic.treatment.selectors import pump_delivery
from clinic.treatment.tests.factories import ketamine_in_safe, make_session
from clinic.treatment.tests.test_preparation import MAX_DOSE_MG, PREPARATIONS, site_maxima

KYIV = ZoneInfo("Europe/Kyiv")
MORNING = datetime(2026, 12, 1, 9, 0, tzinfo=KYIV)
Status = InfusionSession.Status
D = Decimal


# The computation, as a pure function ---------------------------------------------------------

T0 = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
SYRINGE = delivery.Syringe("bag", D("0.35"), D("35"), D("0.5"))  # 35 mg in 100 ml


def at(minutes) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_a_full_run_at_the_prepared_rate_gives_the_prepared_dose():
    events = [
        delivery.PumpEvent(at(0), delivery.START, D("150"), SYRINGE),
        delivery.PumpEvent(at(40), delivery.END),
    ]
    result = delivery.amount_given(events)
    assert (result.total_mg, result.running_minutes, result.capped) == (D("35"), D("40"), False)


def test_the_amount_is_exact_where_decimal_division_would_fall_short():
    # 5 min at 150 ml/h, then 96 min at 67.9 ml/h (resumes at 21 and 37 split the stretch):
    # 12.5 + 108.64 = 121.14 ml of 0.35 mg/ml is 42.399 mg exactly. Decimal hours
    # (seconds / 3600) summed to a hair under it, and the register got 42.398 (an example
    # hypothesis found).
    syringe = delivery.Syringe("s", D("0.35"), D("43"), D("0.5"))
    events = [
        delivery.PumpEvent(at(0), delivery.START, D("150"), syringe),
        delivery.PumpEvent(at(5), delivery.RATE, D("67.9")),
        delivery.PumpEvent(at(21), delivery.RESUME),
        delivery.PumpEvent(at(37), delivery.RESUME),
        delivery.PumpEvent(at(101), delivery.END),
    ]
    assert delivery.amount_given(events).total_mg == D("42.399")
    # 35 mg made up to 60 ml (0.58333... mg/ml): the whole syringe, run in four stretches,
    # gives exactly 35 mg.
    full = delivery.Syringe("f", D("35") / D("60"), D("35"), D("0.5"), total_volume_ml=D("60"))
    run = [delivery.PumpEvent(at(0), delivery.START, D("90"), full)]
    for minute in (7, 19, 33):
        run += [delivery.PumpEvent(at(minute), delivery.RESUME)]
    run += [delivery.PumpEvent(at(40), delivery.END)]
    assert delivery.amount_given(run).total_mg == D("35")


def test_a_slowed_and_paused_run_gives_less_and_a_late_end_is_capped():
    events = [
        delivery.PumpEvent(at(0), delivery.START, D("150"), SYRINGE),
        delivery.PumpEvent(at(10), delivery.RATE, D("75")),  # halved for a side effect
        delivery.PumpEvent(at(20), delivery.PAUSE),  # air-raid alert
        delivery.PumpEvent(at(50), delivery.RESUME),  # at the last rate
        delivery.PumpEvent(at(60), delivery.STOP),
    ]
    # 10 min at 150 ml/h + 20 min at 75 ml/h = 50 ml of 0.35 mg/ml.
    assert delivery.amount_given(events).total_mg == D("17.5")
    late = [events[0], delivery.PumpEvent(at(55), delivery.END)]
    result = delivery.amount_given(late)
    assert result.total_mg == D("35") and result.capped


runs = st.lists(
    st.tuples(
        st.sampled_from([delivery.RATE, delivery.PAUSE, delivery.RESUME]),
        st.integers(min_value=0, max_value=30),  # minutes after the previous event
        st.integers(min_value=1, max_value=3000).map(lambda n: D(n) / 10),  # ml/h
    ),
    max_size=12,
)


def _events(syringe, steps, *, end_after=5, kind=delivery.END):
    events = [delivery.PumpEvent(at(0), delivery.START, D("150"), syringe)]
    minute = 0
    for step, gap, rate in steps:
        minute += gap
        events.append(delivery.PumpEvent(at(minute), step, rate if step == delivery.RATE else None))
    events.append(delivery.PumpEvent(at(minute + end_after), kind))
    return events


def _expected(syringe, events) -> Fraction:
    """The same sum written out plainly, in exact fractions: rate x hours x concentration over
    running stretches."""
    total, running, rate, since = Fraction(0), False, None, None
    for event in events:
        if running:
            hours = Fraction(int((event.at - since).total_seconds()), 3600)
            total += Fraction(rate) * hours * Fraction(syringe.concentration_mg_per_ml)
        if event.rate_ml_per_h is not None:
            rate = event.rate_ml_per_h
        since = event.at
        if event.kind in (delivery.START, delivery.RESUME):
            running = True
        elif event.kind in (delivery.PAUSE, delivery.END, delivery.STOP):
            running = False
    return min(total, Fraction(syringe.prepared_mg))


@settings(max_examples=200, deadline=None)
@given(
    steps=runs,
    concentration=st.sampled_from([D("0.35"), D("1"), D("10"), D("50")]),
    prepared=st.integers(min_value=5, max_value=150).map(D),
    end_after=st.integers(min_value=0, max_value=90),
    kind=st.sampled_from([delivery.END, delivery.STOP]),
)
def test_the_amount_given_is_rate_times_running_time_capped_by_the_prepared_dose(
    steps, concentration, prepared, end_after, kind
):
    syringe = delivery.Syringe("s", concentration, prepared, D("0.5"))
    events = _events(syringe, steps, end_after=end_after, kind=kind)
    result = delivery.amount_given(events)
    expected = _expected(syringe, events)
    # Never more than was prepared, never negative, and the register's 0.001 mg truncation.
    assert D(0) <= result.total_mg <= prepared
    assert expected - Fraction(1, 1000) < Fraction(result.total_mg) <= expected
    # Nothing after the end counts: a pump event recorded later changes nothing.
    later = [*events, delivery.PumpEvent(events[-1].at + timedelta(hours=1), delivery.RESUME)]
    assert delivery.amount_given(later).total_mg == result.total_mg


@settings(max_examples=100, deadline=None)
@given(steps=runs, pause=st.integers(min_value=1, max_value=120))
def test_a_pause_adds_nothing_however_long_it_lasts(steps, pause):
    events = _events(SYRINGE, steps)
    last = events[-1].at
    with_pause = [
        *events[:-1],
        delivery.PumpEvent(last, delivery.PAUSE),
        delivery.PumpEvent(last + timedelta(minutes=pause), delivery.RESUME),
        delivery.PumpEvent(last + timedelta(minutes=pause), delivery.END),
    ]
    assert delivery.amount_given(with_pause).total_mg == delivery.amount_given(events).total_mg


@settings(max_examples=300, deadline=None)
@given(
    weight=st.decimals(min_value=40, max_value=150, places=1),
    mg_per_kg=st.decimals(min_value=D("0.10"), max_value=D("0.75"), places=2),
    minutes=st.integers(min_value=20, max_value=60),
    kind=st.sampled_from(PREPARATIONS),
    site_max=site_maxima,
)
def test_running_a_preparation_for_its_minutes_gives_its_dose_within_a_syringe_step(
    weight, mg_per_kg, minutes, kind, site_max
):
    # Every strength of the register's catalogue, undiluted or diluted in a syringe or bag,
    # under any maximum rate a site may set.
    method, strength, volume = kind
    rx = preparation.Prescription(mg_per_kg, weight, minutes)
    assume(rx.dose_mg <= MAX_DOSE_MG)
    try:
        prepared = preparation.prepare(
            rx,
            strength_mg_per_ml=strength,
            method=method,
            final_volume_ml=volume,
            max_mg_per_kg_per_min=site_max,
        )
    except preparation.PreparationRefused:
        return  # which refusals and why: test_preparation.py
    # The syringe as the session's pump events see it (stored preparation -> delivery).
    syringe = DosePreparation(
        strength_mg_per_ml=prepared.strength_mg_per_ml,
        draw_step_ml=prepared.draw_step_ml,
        dose_given_mg=prepared.dose_given_mg,
        total_volume_ml=prepared.total_volume_ml,
    ).syringe()
    result = delivery.amount_given(
        [
            delivery.PumpEvent(at(0), delivery.START, prepared.rate_ml_per_h, syringe),
            delivery.PumpEvent(at(minutes), delivery.END),
        ]
    )
    # What the pump's record gives is taken for what was prepared, and lies within one
    # measuring step of the signed dose; never more than the syringe held.
    assert not delivery.entered_differs(prepared.dose_given_mg, result)
    assert abs(result.total_mg - rx.dose_mg) <= syringe.step_mg
    assert result.total_mg <= prepared.dose_given_mg
    # The pump ran no faster than the site allows, at every minute of the run.
    per_kg_per_min = prepared.rate_ml_per_h * syringe.concentration_mg_per_ml / 60 / weight
    assert per_kg_per_min <= site_max
    assert result.total_mg / minutes / weight <= site_max


# The session ---------------------------------------------------------------------------------

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(MORNING, tick=False) as traveller:
        yield traveller


@pytest.fixture
def running(clock, course, chair, nurse, physician):
    """35 mg in a 100 ml bag at 150 ml/h (0.35 mg/ml), started at 09:00."""
    return make_session(course, chair, nurse=nurse, physician=physician, stage="infusing")


def register_rows():
    return LedgerEntry.objects.exclude(kind=Kind.RECEIPT)


def test_a_slowed_infusion_puts_the_computed_amount_in_the_register_and_the_rest_in_a_residue(
    clock, running, nurse, physician
):
    clock.shift(timedelta(minutes=10))
    services.change_infusion_rate(
        running, rate_ml_per_h=D("75"), reason="Дисоціація, сповільнено", actor=nurse
    )
    clock.shift(timedelta(minutes=30))
    services.end_infusion(running, actor=nurse)
    running.refresh_from_db()
    # 10 min at 150 ml/h + 30 min at 75 ml/h = 62.5 ml of 0.35 mg/ml.
    assert running.administered_mg == D("21.875")
    assert [e.kind for e in running.pump_events.all()] == ["start", "rate", "end"]
    administration = services.record_ketamine_administration(
        running,
        holding=ketamine_in_safe(running.site),
        drawn_mg=D("100"),
        witness=physician,
        act_number="ЗЛ-9",
        actor=nurse,
    )
    residue = LedgerEntry.objects.get(kind=Kind.RESIDUE_DESTRUCTION)
    assert administration.administered_mg == D("21.875")
    assert (residue.quantity_mg, residue.witness) == (D("78.125"), physician)
    assert links.ampoule_unaccounted_mg(running) == 0
    assert AuditEvent.objects.filter(action="infusion.rate.changed").count() == 1


def test_a_stopped_infusion_puts_the_computed_amount_in_the_register(
    clock, running, nurse, physician
):
    clock.shift(timedelta(minutes=12))
    services.interrupt_session(running, cause="air_raid", actor=nurse)
    clock.shift(timedelta(minutes=25))  # in the shelter: the pump is off
    services.resume_session(running, actor=nurse)
    clock.shift(timedelta(minutes=8))
    services.stop_session(running, reason="Блювання", actor=nurse)
    running.refresh_from_db()
    # 20 minutes running at 150 ml/h = 50 ml of 0.35 mg/ml.
    assert running.status == Status.STOPPED and running.administered_mg == D("17.5")
    assert [(e.kind, e.cause) for e in running.pump_events.all()] == [
        ("start", ""),
        ("pause", "air_raid"),
        ("resume", ""),
        ("stop", ""),
    ]
    services.record_ketamine_administration(
        running, holding=ketamine_in_safe(running.site), drawn_mg=D("100"), witness=physician,
        actor=nurse,
    )  # fmt: skip
    residue = LedgerEntry.objects.get(kind=Kind.RESIDUE_DESTRUCTION)
    assert (residue.quantity_mg, residue.witness) == (D("82.5"), physician)


def test_an_entered_amount_is_taken_within_the_syringe_step_of_the_pumps(clock, running, nurse):
    clock.shift(timedelta(minutes=40))
    services.end_infusion(running, administered_mg=D("34.6"), actor=nurse)  # 0.4 mg off
    running.refresh_from_db()
    assert running.administered_mg == D("34.6")


def test_an_entered_amount_far_from_the_pumps_is_refused_and_nothing_written(clock, running, nurse):
    clock.shift(timedelta(minutes=20))
    with pytest.raises(services.TreatmentRefused, match=r"gives 17\.5 mg.*step \(0\.5 mg\)"):
        services.end_infusion(running, administered_mg=D("35"), actor=nurse)
    running.refresh_from_db()
    assert (running.status, running.infusion_ended_at, running.administered_mg) == (
        Status.INFUSING,
        None,
        None,
    )
    assert list(running.pump_events.values_list("kind", flat=True)) == ["start"]


def test_an_entered_amount_above_what_was_prepared_is_refused(clock, running, nurse):
    clock.shift(timedelta(minutes=45))
    with pytest.raises(services.TreatmentRefused, match=r"more than was prepared \(35 mg\)"):
        services.end_infusion(running, administered_mg=D("35.3"), actor=nurse)
    assert list(running.pump_events.values_list("kind", flat=True)) == ["start"]


def test_a_rate_above_the_sites_maximum_is_refused_and_nothing_written(clock, running, nurse):
    # 0.35 mg/ml at 2000 ml/h for 70 kg is 0.167 mg/kg/min.
    with pytest.raises(services.TreatmentRefused, match="above the site's maximum"):
        services.change_infusion_rate(
            running, rate_ml_per_h=D("2000"), reason="помилка", actor=nurse
        )
    assert list(running.pump_events.values_list("kind", flat=True)) == ["start"]
    assert not AuditEvent.objects.filter(action="infusion.rate.changed").exists()


def test_the_rate_is_changed_only_while_the_pump_runs(clock, running, nurse):
    services.interrupt_session(running, cause="power_cut", actor=nurse)
    with pytest.raises(services.TreatmentRefused, match="while the pump is running"):
        services.change_infusion_rate(running, rate_ml_per_h=D("75"), reason="x", actor=nurse)
    assert running.pump_events.filter(kind=PumpEvent.Kind.RATE).count() == 0


def test_a_pause_of_another_cause_needs_a_note_and_writes_nothing_without(clock, running, nurse):
    with pytest.raises(services.TreatmentRefused, match="reason for the interruption"):
        services.interrupt_session(running, cause="other", actor=nurse)
    assert InfusionSession.objects.get(pk=running.pk).status == Status.INFUSING
    assert running.pump_events.count() == 1


def test_a_pump_event_cannot_be_dated_before_the_last_one(clock, running, nurse):
    clock.shift(timedelta(minutes=10))
    with pytest.raises(services.TreatmentRefused, match="before the pump's last"):
        services.interrupt_session(
            running, cause="air_raid", at=MORNING - timedelta(minutes=5), actor=nurse
        )
    assert running.pump_events.count() == 1


def test_a_late_pump_event_is_taken_within_the_sites_setting(clock, running, nurse, kyiv):
    # The site allows 30 minutes; the nurse comes back from the shelter 45 minutes after the
    # alert.
    TreatmentSettings.objects.create(site=kyiv, pump_late_entry_minutes=30)
    clock.shift(timedelta(minutes=55))
    paused_at = MORNING + timedelta(minutes=10)
    with pytest.raises(services.TreatmentRefused, match="within 30 minutes of when it happened"):
        services.interrupt_session(running, cause="air_raid", at=paused_at, actor=nurse)
    assert InfusionSession.objects.get(pk=running.pk).status == Status.INFUSING
    assert list(running.pump_events.values_list("kind", flat=True)) == ["start"]
    TreatmentSettings.objects.filter(site=kyiv).update(pump_late_entry_minutes=60)
    services.interrupt_session(running, cause="air_raid", at=paused_at, actor=nurse)
    assert running.pump_events.get(kind="pause").at == paused_at


def test_by_default_a_pump_event_is_recorded_within_two_hours(clock, running, nurse):
    clock.shift(timedelta(minutes=150))
    with pytest.raises(services.TreatmentRefused, match="within 120 minutes"):
        services.interrupt_session(
            running, cause="power_cut", at=MORNING + timedelta(minutes=20), actor=nurse
        )
    assert running.pump_events.count() == 1
    services.interrupt_session(
        running, cause="power_cut", at=MORNING + timedelta(minutes=31), actor=nurse
    )
    assert running.pump_events.get(kind="pause").at == MORNING + timedelta(minutes=31)


def test_resuming_after_a_dose_change_waits_for_the_new_preparations_check(
    clock, running, nurse, physician
):
    clock.shift(timedelta(minutes=10))
    services.interrupt_session(running, cause="side_effect", reason="Нудота", actor=nurse)
    services.sign_dose(
        running, mg_per_kg=D("0.40"), minutes=40, reason="Нудота: менша доза", actor=physician
    )
    with pytest.raises(services.TreatmentRefused, match="new dose is prepared and checked"):
        services.resume_session(running, actor=nurse)
    prepared = services.record_dose_preparation(
        running,
        prepared=services.PreparationInput(
            holding=ketamine_in_safe(running.site), method="diluted_bag", final_volume_ml=D("100")
        ),
        actor=nurse,
    )
    with pytest.raises(services.TreatmentRefused, match="new dose is prepared and checked"):
        services.resume_session(running, actor=nurse)
    assert InfusionSession.objects.get(pk=running.pk).status == Status.INTERRUPTED
    assert running.pump_events.filter(kind="resume").count() == 0
    services.check_dose_preparation(
        running,
        drug_volume_ml=prepared.drug_volume_ml,
        rate_ml_per_h=prepared.rate_ml_per_h,
        actor=physician,
    )
    clock.shift(timedelta(minutes=5))
    services.resume_session(running, actor=nurse)
    resumed = running.pump_events.get(kind="resume")
    assert (resumed.preparation, resumed.rate_ml_per_h) == (prepared, prepared.rate_ml_per_h)
    clock.shift(timedelta(minutes=40))
    services.end_infusion(running, actor=nurse)
    running.refresh_from_db()
    # 8.75 mg from the first bag (10 of its 40 minutes), then the whole new 28 mg bag.
    first = running.doses.order_by("pk").first().preparation
    assert running.administered_mg == D("8.75") + prepared.dose_given_mg
    assert pump_delivery(running).per_syringe_mg == {
        first.pk: D("8.75"),
        prepared.pk: prepared.dose_given_mg,
    }


def test_a_dose_is_not_changed_while_the_pump_runs_and_nothing_is_written(
    clock, running, physician
):
    clock.shift(timedelta(minutes=10))
    with pytest.raises(services.TreatmentRefused, match="Pause the infusion first"):
        services.sign_dose(
            running, mg_per_kg=D("0.40"), minutes=40, reason="Дисоціація", actor=physician
        )
    assert running.doses.count() == 1
    assert list(running.pump_events.values_list("kind", flat=True)) == ["start"]
    assert InfusionSession.objects.get(pk=running.pk).status == Status.INFUSING
    assert not AuditEvent.objects.filter(action="infusion.dose.changed").exists()


def test_the_amount_given_is_exact_across_a_dose_change(clock, running, nurse, physician):
    # The pump was paused at 09:12; the nurse records it at 09:15 with the time it happened.
    clock.shift(timedelta(minutes=15))
    services.interrupt_session(
        running, cause="side_effect", reason="Нудота", at=MORNING + timedelta(minutes=12),
        actor=nurse,
    )  # fmt: skip
    services.sign_dose(
        running, mg_per_kg=D("0.40"), minutes=40, reason="Нудота: менша доза", actor=physician
    )
    prepared = services.record_dose_preparation(
        running,
        prepared=services.PreparationInput(
            holding=ketamine_in_safe(running.site), method="diluted_bag", final_volume_ml=D("100")
        ),
        actor=nurse,
    )
    services.check_dose_preparation(
        running,
        drug_volume_ml=prepared.drug_volume_ml,
        rate_ml_per_h=prepared.rate_ml_per_h,
        actor=physician,
    )
    clock.shift(timedelta(minutes=5))
    services.resume_session(running, actor=nurse)
    # Half of the new bag: 20 of its 40 minutes, then stopped.
    clock.shift(timedelta(minutes=20))
    services.stop_session(running, reason="Тахікардія", actor=nurse)
    running.refresh_from_db()
    # The first bag ran 12 minutes at 150 ml/h (30 ml of 0.35 mg/ml = 10.5 mg) and nothing
    # while paused; the new bag (28 mg in 100 ml at 150 ml/h) ran 20 minutes: 14 mg.
    old = running.doses.order_by("pk").first().preparation
    assert pump_delivery(running).per_syringe_mg == {old.pk: D("10.5"), prepared.pk: D("14")}
    assert running.administered_mg == D("24.5")


# Single-use ampoules and two ampoules for one dose --------------------------------------------


@pytest.fixture
def small_ampoules(kyiv, users):
    """Ketamine 10 mg/ml in 2 ml ampoules (20 mg): one left of lot A, three of lot B."""
    from clinic.accounts.roles import Role

    officer = users[(Role.DRUG_OFFICER, "kyiv")]
    drug = make_drug(code="ketamine-10", concentration_mg_per_ml=D("10"), unit_content_mg=D("20"))
    safe = make_safe(kyiv)
    first = receive(officer, safe, drug, units=1, batch="KT-A").holding
    second = receive(officer, safe, drug, units=3, batch="KT-B").holding
    return first, second


def test_two_ampoules_of_two_lots_for_one_dose(
    clock, small_ampoules, course, chair, nurse, physician
):
    first, second = small_ampoules
    session = make_session(course, chair, nurse=nurse, physician=physician, stage="infusing")
    assert session.doses.get().preparation.holding == first  # 3.5 ml of 10 mg/ml
    clock.shift(timedelta(minutes=40))
    services.end_infusion(session, actor=nurse)
    session.refresh_from_db()
    assert session.administered_mg == D("35")
    # The first lot's last ampoule is given whole: no residue, no witness.
    one = services.record_ketamine_administration(
        session, holding=first, drawn_mg=D("20"), actor=nurse
    )
    assert (one.administered_mg, one.units_label) == (D("20"), "1 ampoule (20 mg)")
    assert links.ampoule_unaccounted_mg(session) == D("15")  # given, not yet in the register
    with pytest.raises(services.TreatmentRefused, match="not yet accounted"):
        services.discharge_patient(
            session, escort_confirmed=True, instructions_given=True, actor=physician
        )
    two = services.record_ketamine_administration(
        session, holding=second, drawn_mg=D("20"), witness=physician, actor=nurse
    )
    assert two.administered_mg == D("15")
    assert LedgerEntry.objects.get(kind=Kind.RESIDUE_DESTRUCTION).quantity_mg == D("5")
    assert links.ampoule_unaccounted_mg(session) == 0
    assert links.registered_administered_mg(session) == session.administered_mg
    # A third ampoule is more than the dose needed: refused, nothing written.
    rows = register_rows().count()
    with pytest.raises(services.TreatmentRefused, match="already in the register"):
        services.record_ketamine_administration(
            session, holding=second, drawn_mg=D("20"), witness=physician, actor=nurse
        )
    assert register_rows().count() == rows
    second.refresh_from_db()
    assert second.units_label == "2 ampoules (40 mg)"


def test_stock_never_shows_a_part_of_an_opened_single_use_ampoule(
    clock, small_ampoules, course, chair, nurse, physician
):
    first, second = small_ampoules
    session = make_session(course, chair, nurse=nurse, physician=physician, stage="infusing")
    clock.shift(timedelta(minutes=40))
    services.end_infusion(session, actor=nurse)
    with pytest.raises(services.TreatmentRefused, match="single-use ampoules of 20 mg"):
        services.record_ketamine_administration(
            session, holding=second, drawn_mg=D("35"), witness=physician, actor=nurse
        )
    assert not register_rows().exists()
    # Two whole ampoules of one lot for the 35 mg dose: 5 mg residue, witnessed.
    services.record_ketamine_administration(
        session, holding=second, drawn_mg=D("40"), witness=physician, actor=nurse
    )
    for holding in Holding.objects.filter(lot__drug=first.lot.drug):
        assert holding.balance_mg % holding.lot.drug.unit_content_mg == 0
    second.refresh_from_db()
    assert second.units_label == "1 ampoule (20 mg)"


# The page ------------------------------------------------------------------------------------


def url(session, step=""):
    return f"/staff/treatment/infusions/{session.public_id}/{step + '/' if step else ''}"


def test_the_nurse_changes_the_rate_and_pauses_from_the_page(clock, client, running, nurse):
    client.force_login(nurse)
    clock.shift(timedelta(minutes=10))
    response = client.post(url(running, "rate"), {"rate_ml_per_h": "75", "reason": "Нудота"})
    assert response.status_code == 302
    clock.shift(timedelta(minutes=5))
    client.post(url(running, "interrupt"), {"cause": "power_cut", "reason": ""})
    page = client.get(url(running)).content.decode()
    assert 'data-testid="pump-events"' in page and "75" in page
    assert 'data-testid="pump-given"' in page
    running.refresh_from_db()
    assert running.status == Status.INTERRUPTED
    assert [e.kind for e in running.pump_events.all()] == ["start", "rate", "pause"]


def test_a_refused_rate_change_shows_why_and_writes_nothing(clock, client, running, nurse):
    client.force_login(nurse)
    response = client.post(
        url(running, "rate"), {"rate_ml_per_h": "2000", "reason": "x"}, follow=True
    )
    assert "більше за максимум закладу" in response.content.decode()
    assert running.pump_events.count() == 1
    assert AuditEvent.objects.filter(action="infusion.rate.refused", outcome="denied").exists()


def test_the_page_asks_to_pause_before_a_dose_change_and_refuses_one(
    clock, client, running, physician
):
    client.force_login(physician)
    authenticate_recently(client, physician)
    page = client.get(url(running)).content.decode()
    assert 'data-testid="dose-change-paused-first"' in page
    assert f'action="{url(running, "dose")}"' not in page
    response = client.post(
        url(running, "dose"),
        {"mg_per_kg": "0.4", "minutes": "40", "reason": "Дисоціація"},
        follow=True,
    )
    assert "Спочатку призупиніть інфузію" in response.content.decode()
    assert running.doses.count() == 1
    assert AuditEvent.objects.filter(action="infusion.dose.refused", outcome="denied").exists()
    # Once paused, the physician signs the change from the page.
    services.interrupt_session(running, cause="side_effect", reason="Нудота", actor=physician)
    page = client.get(url(running)).content.decode()
    assert f'action="{url(running, "dose")}"' in page


def test_another_sites_nurse_cannot_change_the_rate(clock, client, running, users):
    from clinic.accounts.roles import Role

    client.force_login(users[(Role.NURSE, "lviv")])
    response = client.post(url(running, "rate"), {"rate_ml_per_h": "75", "reason": "x"})
    assert response.status_code == 404
    assert running.pump_events.count() == 1


def test_the_session_record_shows_the_pump_the_amount_the_ampoules_and_the_witness(
    clock, client, running, nurse, physician, monkeypatch
):
    clock.shift(timedelta(minutes=10))
    services.change_infusion_rate(running, rate_ml_per_h=D("75"), reason="Нудота", actor=nurse)
    clock.shift(timedelta(minutes=5))
    services.interrupt_session(running, cause="air_raid", actor=nurse)
    clock.shift(timedelta(minutes=20))
    services.stop_session(running, reason="Повітряна тривога затяглася", actor=nurse)
    holding = ketamine_in_safe(running.site)
    services.record_ketamine_administration(
        running, holding=holding, drawn_mg=D("100"), witness=physician, act_number="ЗЛ-3",
        actor=nurse,
    )  # fmt: skip
    rendered = {}

    def capture(html):
        rendered["html"] = html
        return b"%PDF-1.7"

    monkeypatch.setattr("clinic.treatment.views.infusions.render_pdf", capture)
    client.force_login(nurse)
    assert client.get(url(running) + "record-en.pdf").status_code == 200
    html = rendered["html"]
    # 10 min at 150 ml/h + 5 min at 75 ml/h = 31.25 ml of 0.35 mg/ml = 10.9375 mg.
    for text in (
        "Pump: rate changes and pauses",
        "rate changed",
        "<td>75</td>",
        "air-raid alert",
        "stopped early",
        "Computed from the pump: 10.937 mg",
        holding.lot.batch_number,
        "1 ampoule (100 mg)",
        "Residue destroyed by",
        "№ ЗЛ-3",
        physician.full_name,
        "Double-checked by",
    ):
        assert text.casefold() in html.casefold(), text
