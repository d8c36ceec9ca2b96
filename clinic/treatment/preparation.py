"""How a signed ketamine dose is made up at the chair, as a pure function.

The physician signs a prescription (mg/kg, the weight on the day, minutes); the nurse takes an
ampoule of a known strength from a register lot and prepares it one of three ways. This
module turns those facts into what the nurse draws, what the pump is set to and what the
patient will actually receive, so no step is arithmetic in someone's head (issue 14: a free
"concentration" of 1 mg/ml gave a third of the dose from a 100 ml bag, and the bag's
concentration entered for undiluted drug gave a bolus about 28 times too fast).

    prepare(prescription, strength_mg_per_ml=..., method=..., final_volume_ml=...,
            max_mg_per_kg_per_min=..., draw_step_ml=None, rate_step_ml_per_h=RATE_STEP_ML_PER_H)
        -> Preparation

- `prescription`: `Prescription(mg_per_kg, weight_kg, minutes)`, as signed;
  `prescription.dose_mg` is the signed dose (weight x mg/kg, to 0.1 mg).
- `strength_mg_per_ml`: the ampoule's strength from the register lot (e.g. 10 or 50 mg/ml).
- `method`: `UNDILUTED_SYRINGE` (the drug as it is, in a syringe on a syringe pump; no final
  volume), `DILUTED_SYRINGE` or `DILUTED_BAG` (the drug made up with diluent to
  `final_volume_ml`, the total volume in the syringe or bag).
- `draw_step_ml`: the smallest volume the syringe the drug is drawn with can measure; the
  volume drawn is rounded to it (half up). Default per method: `DEFAULT_DRAW_STEP_ML`.
- `rate_step_ml_per_h`: the smallest step the pump's rate is set in (0.1 ml/h by default).
- `max_mg_per_kg_per_min`: the site's maximum infusion rate (`TreatmentSettings`).

The dose actually given is the volume drawn times the strength (exact, not rounded again); it
differs from the signed dose by at most half a measuring step (step x strength / 2). The pump
rate is the total volume over the signed minutes, rounded to the pump's step; the function
refuses a preparation whose rate, run for the signed minutes, would deliver a dose more than
one measuring step away from the signed one, or whose rate is above the site's maximum
mg/kg/min. Every refusal is a `PreparationRefused` whose message says what to change.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import localize
from django.utils.translation import gettext as _

from clinic.core.errors import Refused

UNDILUTED_SYRINGE = "undiluted_syringe"
DILUTED_SYRINGE = "diluted_syringe"
DILUTED_BAG = "diluted_bag"
METHODS = (UNDILUTED_SYRINGE, DILUTED_SYRINGE, DILUTED_BAG)
DILUTED = (DILUTED_SYRINGE, DILUTED_BAG)

# Undiluted drug is drawn straight into the pump syringe (2-5 ml, graduated in 0.1 ml). For a
# dilution the ampoule is drawn with a separate 1 ml syringe graduated in 0.01 ml, which keeps
# the rounding of a 50 mg/ml drug at 0.5 mg instead of 5 mg.
DEFAULT_DRAW_STEP_ML = {
    UNDILUTED_SYRINGE: Decimal("0.1"),
    DILUTED_SYRINGE: Decimal("0.01"),
    DILUTED_BAG: Decimal("0.01"),
}
# Syringe pumps and volumetric pumps are set in 0.1 ml/h steps.
RATE_STEP_ML_PER_H = Decimal("0.1")
# What the containers hold (equipment, not clinical limits): the largest pump syringe is 60 ml;
# the bags for an infusion of 2-100 minutes are 50 to 500 ml.
SYRINGE_MAX_ML = Decimal("60")
BAG_MIN_ML = Decimal("50")
BAG_MAX_ML = Decimal("500")
# Displayed precision of the derived values (the stored values keep these places).
CONCENTRATION_PLACES = Decimal("0.0001")
RATE_PER_KG_PLACES = Decimal("0.00001")
MINUTES_PLACES = Decimal("0.1")


class PreparationRefused(Refused):
    """This preparation is not safe or does not fit its method; the message says why."""

    code = "infusion.preparation.refused"


@dataclass(frozen=True)
class Prescription:
    """What the physician signed: mg/kg, the weight on the day and the infusion time."""

    mg_per_kg: Decimal
    weight_kg: Decimal
    minutes: int

    @property
    def dose_mg(self) -> Decimal:
        """The signed dose: weight x mg/kg to 0.1 mg (domain.md §3.3: 70 kg x 0.5 = 35 mg)."""
        return to_step(self.weight_kg * self.mg_per_kg, Decimal("0.1"))


@dataclass(frozen=True)
class Preparation:
    """What the nurse draws and sets, and what the patient receives."""

    method: str
    strength_mg_per_ml: Decimal
    draw_step_ml: Decimal
    prescribed_mg: Decimal
    drug_volume_ml: Decimal  # to draw from the ampoule
    dose_given_mg: Decimal  # drug_volume_ml x strength_mg_per_ml
    total_volume_ml: Decimal  # in the syringe or bag on the pump
    final_concentration_mg_per_ml: Decimal
    rate_ml_per_h: Decimal
    mg_per_kg_per_min: Decimal
    pump_minutes: Decimal  # how long the pump runs at this rate to empty the total volume

    @property
    def diluent_ml(self) -> Decimal:
        return self.total_volume_ml - self.drug_volume_ml


def to_step(value: Decimal, step: Decimal) -> Decimal:
    """`value` rounded half up to a whole number of `step`s (0.1 ml, 0.01 ml, 0.1 ml/h)."""
    steps = (value / step).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    return (steps * step).quantize(step)


def _fit_problems(method, strength, final_volume, draw_step, rate_step) -> list[str]:
    problems = []
    if method not in METHODS:
        problems.append(_("Choose how the dose is prepared."))
        return problems
    if strength is None or strength <= 0:
        problems.append(_("The ampoule's strength (mg/ml) is not known: choose another lot."))
    if draw_step <= 0 or draw_step > 1:
        problems.append(_("The measuring step must be more than 0 and at most 1 ml."))
    if rate_step <= 0:
        problems.append(_("The pump's rate step must be more than 0 ml/h."))
    if method == UNDILUTED_SYRINGE and final_volume is not None:
        problems.append(
            _("Undiluted drug has no final volume: leave it empty, or choose a dilution.")
        )
    if method in DILUTED and final_volume is None:
        problems.append(_("A dilution needs the final volume in the syringe or bag."))
    if method == DILUTED_SYRINGE and final_volume is not None and final_volume > SYRINGE_MAX_ML:
        problems.append(
            _("A syringe holds at most %(max)s ml: choose a bag.") % {"max": SYRINGE_MAX_ML}
        )
    bag_fits = final_volume is None or BAG_MIN_ML <= final_volume <= BAG_MAX_ML
    if method == DILUTED_BAG and not bag_fits:
        problems.append(
            _("An infusion bag holds %(min)s to %(max)s ml.")
            % {"min": BAG_MIN_ML, "max": BAG_MAX_ML}
        )
    return problems


def prepare(
    prescription: Prescription,
    *,
    strength_mg_per_ml: Decimal,
    method: str,
    final_volume_ml: Decimal | None = None,
    max_mg_per_kg_per_min: Decimal,
    draw_step_ml: Decimal | None = None,
    rate_step_ml_per_h: Decimal = RATE_STEP_ML_PER_H,
) -> Preparation:
    """The volumes, concentration, pump rate and dose actually given for one preparation of a
    signed dose (see the module docstring); `PreparationRefused` when it is not safe or does
    not fit its method."""
    draw_step = draw_step_ml if draw_step_ml is not None else DEFAULT_DRAW_STEP_ML.get(method)
    problems = _fit_problems(
        method, strength_mg_per_ml, final_volume_ml, draw_step or Decimal(0), rate_step_ml_per_h
    )
    if problems:
        raise PreparationRefused(" ".join(problems))
    strength = strength_mg_per_ml
    prescribed = prescription.dose_mg
    drug_volume = to_step(prescribed / strength, draw_step)
    if drug_volume <= 0:
        raise PreparationRefused(
            _("The dose is less than the syringe can measure at %(strength)s mg/ml.")
            % {"strength": localize(strength)}
        )
    given = drug_volume * strength
    total = drug_volume if method == UNDILUTED_SYRINGE else final_volume_ml
    if method in DILUTED:
        if total < drug_volume:
            raise PreparationRefused(
                _("The final volume %(final)s ml is smaller than the %(drug)s ml of drug to draw.")
                % {"final": localize(total), "drug": localize(drug_volume)}
            )
        if total == drug_volume:
            raise PreparationRefused(_("No diluent would be added: choose the undiluted method."))
    if method == UNDILUTED_SYRINGE and total > SYRINGE_MAX_ML:
        raise PreparationRefused(
            _("%(drug)s ml does not fit a pump syringe: use a stronger ampoule or a bag.")
            % {"drug": localize(drug_volume)}
        )
    concentration = given / total
    minutes = Decimal(prescription.minutes)
    rate = to_step(total * 60 / minutes, rate_step_ml_per_h)
    step_mg = draw_step * strength
    # What the pump delivers when it runs at this rate for the signed minutes.
    delivered = rate * minutes / 60 * concentration
    if rate <= 0 or abs(delivered - prescribed) > step_mg:
        raise PreparationRefused(
            _(
                "At %(total)s ml the pump rate cannot be set finely enough to give "
                "%(dose)s mg over %(minutes)s minutes: dilute to a larger volume."
            )
            % {
                "total": localize(total),
                "dose": localize(prescribed),
                "minutes": prescription.minutes,
            }
        )
    per_kg_per_min = rate * concentration / 60 / prescription.weight_kg
    if per_kg_per_min > max_mg_per_kg_per_min:
        raise PreparationRefused(
            _(
                "This preparation runs at %(rate)s mg/kg/min, above the site's maximum of "
                "%(max)s mg/kg/min. Check the strength, the method and the volume; the "
                "physician may need to lengthen the infusion."
            )
            % {
                "rate": localize(per_kg_per_min.quantize(RATE_PER_KG_PLACES)),
                "max": localize(max_mg_per_kg_per_min),
            }
        )
    return Preparation(
        method=method,
        strength_mg_per_ml=strength,
        draw_step_ml=draw_step,
        prescribed_mg=prescribed,
        drug_volume_ml=drug_volume,
        dose_given_mg=given,
        total_volume_ml=total,
        final_concentration_mg_per_ml=concentration.quantize(
            CONCENTRATION_PLACES, rounding=ROUND_HALF_UP
        ),
        rate_ml_per_h=rate,
        mg_per_kg_per_min=per_kg_per_min.quantize(RATE_PER_KG_PLACES, rounding=ROUND_HALF_UP),
        pump_minutes=(total * 60 / rate).quantize(MINUTES_PLACES, rounding=ROUND_HALF_UP),
    )
