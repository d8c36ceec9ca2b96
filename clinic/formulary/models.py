"""The bundled formulary (drugs with their class and ketamine interaction) and the adequacy
rules of an antidepressant trial: minimum daily doses and thresholds the medical director edits.

domain.md §1.4 marks every published minimum dose UNCONFIRMED, so none of them is a constant:
they are rows with a provenance note, and the whole table shows "to be confirmed by the medical
director" until a physician-administrator signs it off (`AdequacyRules.signed_off_at`).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class DrugClass(models.TextChoices):
    SSRI = "ssri", _("SSRI")
    SNRI = "snri", _("SNRI")
    TCA = "tca", _("Tricyclic antidepressant")
    MAOI = "maoi", _("MAO inhibitor")
    OTHER_ANTIDEPRESSANT = "other_ad", _("Other antidepressant")
    AUGMENTATION = "augmentation", _("Augmenting agent")
    BENZODIAZEPINE = "benzodiazepine", _("Benzodiazepine")
    STIMULANT = "stimulant", _("Psychostimulant")
    OTHER = "other", _("Other medicine")


# Thase-Rush (1997) counts these as antidepressant classes [domain.md §1.2, R4].
ANTIDEPRESSANT_CLASSES = frozenset(
    {
        DrugClass.SSRI,
        DrugClass.SNRI,
        DrugClass.TCA,
        DrugClass.MAOI,
        DrugClass.OTHER_ANTIDEPRESSANT,
    }
)


class Interaction(models.TextChoices):
    """What a medicine does to a ketamine treatment (domain.md §7)."""

    NONE = "", _("none known")
    BENZODIAZEPINE = "benzodiazepine", _("benzodiazepine: may blunt the effect of ketamine")
    LAMOTRIGINE = "lamotrigine", _("lamotrigine: attenuates the perceptual effects of ketamine")
    NALTREXONE = "naltrexone", _("naltrexone: attenuates the antidepressant effect of ketamine")
    MAOI = "maoi", _("MAO inhibitor: blood pressure increase")
    STIMULANT = "stimulant", _("psychostimulant: blood pressure increase")
    CYP_INDUCER = "cyp_inducer", _("CYP2B6/3A4 inducer: lower ketamine exposure")
    CYP_INHIBITOR = "cyp_inhibitor", _("CYP2B6/3A4 inhibitor: higher ketamine exposure")
    CNS_DEPRESSANT = "cns_depressant", _("CNS depressant: additive sedation")
    THEOPHYLLINE = "theophylline", _("theophylline: may lower the seizure threshold")


class DrugQuerySet(models.QuerySet):
    def antidepressants(self):
        return self.filter(drug_class__in=ANTIDEPRESSANT_CLASSES)

    def augmenting_agents(self):
        return self.filter(drug_class=DrugClass.AUGMENTATION)

    def active(self):
        return self.filter(is_active=True)


class Drug(models.Model):
    """A medicine of the bundled formulary (international non-proprietary name)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_uk = models.CharField(_("name (Ukrainian)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    drug_class = models.CharField(_("class"), max_length=20, choices=DrugClass.choices)
    interaction = models.CharField(
        _("interaction with ketamine"),
        max_length=20,
        choices=Interaction.choices,
        blank=True,
        default=Interaction.NONE,
    )
    is_active = models.BooleanField(_("in use"), default=True)

    objects = DrugQuerySet.as_manager()

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("drug")
        verbose_name_plural = _("drugs")

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if get_language() == "en" else self.name_uk

    @property
    def is_antidepressant(self) -> bool:
        return self.drug_class in ANTIDEPRESSANT_CLASSES

    @property
    def ketamine_interaction(self) -> str:
        # Every MAOI raises blood pressure with ketamine, whatever its row says.
        if self.drug_class == DrugClass.MAOI:
            return Interaction.MAOI
        return self.interaction


class MinimumDose(models.Model):
    """The lowest daily dose at which a trial of this antidepressant counts as adequate."""

    drug = models.OneToOneField(
        Drug, on_delete=models.PROTECT, related_name="minimum_dose", verbose_name=_("drug")
    )
    daily_mg = models.DecimalField(
        _("minimum daily dose, mg"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(10000)],
    )
    provenance = models.CharField(_("source"), max_length=300)
    changed_at = models.DateTimeField(_("changed"), null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["drug__name_en"]
        verbose_name = _("minimum dose")
        verbose_name_plural = _("minimum doses")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(daily_mg__isnull=True) | models.Q(daily_mg__gt=0),
                name="minimum_dose_positive",
            )
        ]

    def __str__(self):
        return f"{self.drug}: {self.daily_mg or '—'} mg"


class AdequacyRules(models.Model):
    """The thresholds of the trial assessment; one row (pk 1), edited by the medical director."""

    class FailureThreshold(models.IntegerChoices):
        EU_PEARL = 25, _("improvement under 25 percent (EU-PEARL, Sforzini 2022)")
        CANADIAN = 50, _("improvement under 50 percent (Canadian consensus, Rybak 2021)")

    min_weeks = models.PositiveSmallIntegerField(
        _("minimum duration, weeks"),
        default=6,
        validators=[MinValueValidator(4), MaxValueValidator(12)],
        help_text=_("6 weeks is the classic rule (Fava 2020); the Canadian consensus allows 4."),
    )
    early_stop_weeks = models.PositiveSmallIntegerField(
        _("stopped early if before, weeks"),
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_(
            "Stopping before the end of week 4 without clear non-response is not a failure "
            "(EU-PEARL)."
        ),
    )
    # The clinic's non-response threshold; its source is the help text (domain.md §1.1, §1.5).
    failure_below_pct = models.PositiveSmallIntegerField(
        _("a trial failed when improvement is"),
        choices=FailureThreshold.choices,
        default=FailureThreshold.EU_PEARL,
        help_text=_(
            "Default: under 25 percent, EU-PEARL Delphi consensus [R5], domain.md §1.1; the "
            "Canadian consensus uses under 50 percent [R6]. Clinic data: a change takes effect "
            "when a physician co-signs it."
        ),
    )
    changed_at = models.DateTimeField(_("changed"), null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Any change to the rules or to a minimum dose clears the sign-off.
    signed_off_at = models.DateTimeField(_("signed off"), null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("signed off by"),
    )

    class Meta:
        verbose_name = _("adequacy rules")
        verbose_name_plural = _("adequacy rules")
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="adequacy_rules_single_row"),
            models.CheckConstraint(
                condition=models.Q(min_weeks__gte=4, min_weeks__lte=12),
                name="adequacy_rules_min_weeks_range",
            ),
            models.CheckConstraint(
                condition=models.Q(failure_below_pct__in=[25, 50]),
                name="adequacy_rules_failure_threshold",
            ),
        ]

    def __str__(self):
        return f"{self.min_weeks} weeks, <{self.failure_below_pct}%"

    @property
    def is_confirmed(self) -> bool:
        return self.signed_off_at is not None
