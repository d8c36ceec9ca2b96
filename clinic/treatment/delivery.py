"""What the pump delivered, from the times it ran and the rates it ran at, as a pure function.

"Infusion finished" used to record the full signed dose even after the infusion was slowed,
paused or stopped (issue 14). The nurse now records each start, rate change, pause, resume
and the end or early stop with its time; this module turns those events into milligrams:

    amount_given(events, *, until=None) -> Delivery

- `events`: `PumpEvent(at, kind, rate_ml_per_h, syringe)` in the order they happened.
  `START` and `RESUME` set the pump running (a resume may name a new syringe, after a dose
  change, and its rate); `RATE` changes the rate of a running or paused pump; `PAUSE` stops
  it; `END` (the infusion is complete) and `STOP` (stopped early) end it for good.
- `Syringe(key, concentration_mg_per_ml, prepared_mg, step_mg, total_volume_ml)`: what is on
  the pump, from its preparation (`DosePreparation`): the concentration is the dose actually
  drawn over the total volume (not the rounded figure shown; with `total_volume_ml` given it
  is taken as that exact fraction), `prepared_mg` is that dose and caps what the syringe can
  give, `step_mg` is the syringe's measuring step in mg (what rounding the drawn volume may
  move the dose by).
- `until`: for a pump still running, count up to this time (the page's "given so far").

mg = the sum over running stretches of rate (ml/h) x hours x concentration (mg/ml), per
syringe capped by its prepared dose; the total is the sum over syringes, truncated to the
register's 0.001 mg so it never exceeds what was prepared. The sum is kept as an exact
fraction until that truncation: decimal division (hours = seconds / 3600, 35 mg / 60 ml)
rounds, and a value a hair under 42.399 mg would be truncated to 42.398.
"""

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

START = "start"
RATE = "rate"
PAUSE = "pause"
RESUME = "resume"
END = "end"
STOP = "stop"
KINDS = (START, RATE, PAUSE, RESUME, END, STOP)
# The register keeps milligrams to three decimals (controlled_drugs.ledger.QUANTUM).
MG_QUANTUM = Decimal("0.001")


@dataclass(frozen=True)
class Syringe:
    """The prepared syringe or bag on the pump."""

    key: object
    concentration_mg_per_ml: Decimal
    prepared_mg: Decimal
    step_mg: Decimal = Decimal(0)
    total_volume_ml: Decimal | None = None

    @property
    def exact_concentration(self) -> Fraction:
        """mg/ml as an exact fraction: the prepared dose over the total volume when known."""
        if self.total_volume_ml:
            return Fraction(self.prepared_mg) / Fraction(self.total_volume_ml)
        return Fraction(self.concentration_mg_per_ml)


@dataclass(frozen=True)
class PumpEvent:
    at: datetime
    kind: str
    rate_ml_per_h: Decimal | None = None
    syringe: Syringe | None = None


@dataclass(frozen=True)
class Delivery:
    """What the pump gave: in total, per syringe, and for how long it ran."""

    total_mg: Decimal
    per_syringe_mg: dict = field(default_factory=dict)
    running_minutes: Decimal = Decimal(0)
    capped: bool = False
    syringes: tuple = ()

    @property
    def step_mg(self) -> Decimal:
        """The largest measuring step of the syringes used: the tolerance for an entered
        amount."""
        return max((s.step_mg for s in self.syringes), default=Decimal(0))


def _seconds(delta: timedelta) -> Fraction:
    return delta.days * 86400 + delta.seconds + Fraction(delta.microseconds, 1_000_000)


def _mg(rate: Decimal, seconds: Fraction, syringe: Syringe) -> Fraction:
    return Fraction(rate) * seconds / 3600 * syringe.exact_concentration


def _truncated(value: Fraction, quantum: Decimal = MG_QUANTUM) -> Decimal:
    """`value` cut (never rounded up) to a whole number of `quantum`s."""
    steps = math.floor(value / Fraction(quantum))
    return (Decimal(steps) * quantum).quantize(quantum)


def amount_given(events, *, until: datetime | None = None) -> Delivery:
    """The milligrams the pump delivered over `events` (see the module docstring)."""
    raw: dict = {}
    syringes: dict = {}
    running = False
    rate = None
    syringe = None
    since = None
    seconds_running = Fraction(0)

    def run_until(moment):
        nonlocal seconds_running
        if running and syringe is not None and rate is not None and moment > since:
            seconds = _seconds(moment - since)
            seconds_running += seconds
            raw[syringe.key] = raw.get(syringe.key, Fraction(0)) + _mg(rate, seconds, syringe)

    finished = False
    for event in events:
        if finished:
            break
        if event.kind in (START, RESUME):
            run_until(event.at)
            syringe = event.syringe or syringe
            if syringe is not None:
                syringes.setdefault(syringe.key, syringe)
            if event.rate_ml_per_h is not None:
                rate = event.rate_ml_per_h
            running, since = True, event.at
        elif event.kind == RATE:
            run_until(event.at)
            rate, since = event.rate_ml_per_h, event.at
        elif event.kind == PAUSE:
            run_until(event.at)
            running = False
        elif event.kind in (END, STOP):
            run_until(event.at)
            running, finished = False, True
    if running and until is not None:
        run_until(until)
    given = {
        key: min(raw.get(key, Fraction(0)), Fraction(syringe.prepared_mg))
        for key, syringe in syringes.items()
    }
    capped = any(raw.get(key, Fraction(0)) > s.prepared_mg for key, s in syringes.items())
    minutes = seconds_running / 60
    return Delivery(
        total_mg=_truncated(sum(given.values(), Fraction(0))),
        per_syringe_mg={k: _truncated(v) for k, v in given.items()},
        running_minutes=(Decimal(minutes.numerator) / Decimal(minutes.denominator)).quantize(
            Decimal("0.1")
        ),
        capped=capped,
        syringes=tuple(syringes.values()),
    )


def entered_differs(entered_mg: Decimal, delivery: Delivery) -> bool:
    """An amount the nurse enters is taken when it lies within the syringe's measuring step
    of what the pump's record gives (the drawn volume was rounded to that step)."""
    return abs(entered_mg - delivery.total_mg) > delivery.step_mg
