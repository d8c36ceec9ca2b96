"""The patient record: identity, contact, consents, intake, treatment history, notes and
privacy requests. Clinical rows are never deleted: they are marked entered in error."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from clinic.core.records import SignedNote, StrikeOut, StrikeOutQuerySet


class PatientQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Patients of the sites the user works at; nothing for non-clinical roles."""
        if not user.is_clinical:
            return self.none()
        return self.filter(home_site_id__in=user.site_ids)

    def at(self, site):
        return self.filter(home_site=site)

    def matching(self, query: str):
        """Patients whose name, phone, date of birth or record number matches `query`.

        Every word must match the start of one of the patient's search terms, through the
        indexed term table, so the cost does not depend on the number of patients.
        """
        from clinic.patients.search import parse_query

        parsed = parse_query(query)
        if parsed.birth_date is not None:
            return self.filter(birth_date=parsed.birth_date)
        if not parsed.prefixes:
            return self.none()
        result = self
        for prefix in parsed.prefixes:
            result = result.filter(
                pk__in=PatientSearchTerm.objects.filter(
                    term__gte=prefix, term__lt=prefix + "\U0010ffff"
                ).values("patient_id")
            )
        return result


class Patient(models.Model):
    """A person treated at the centre, registered at one home site."""

    class Language(models.TextChoices):
        UKRAINIAN = "uk", "Українська"
        ENGLISH = "en", "English"

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        EMAIL = "email", _("E-mail")
        # Both reach the patient by the phone number their messenger account is registered to
        # (clinic/core/senders.py: the outbox's Telegram and Viber gateways).
        TELEGRAM = "telegram", _("Telegram")
        VIBER = "viber", _("Viber")
        NONE = "none", _("No messages")

    # The channels addressed by the patient's phone number.
    PHONE_CHANNELS = (Channel.SMS, Channel.TELEGRAM, Channel.VIBER)

    class Sex(models.TextChoices):
        FEMALE = "female", _("female")
        MALE = "male", _("male")
        UNKNOWN = "unknown", _("not stated")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    record_number = models.CharField(_("record number"), max_length=20, unique=True)
    family_name = models.CharField(_("family name"), max_length=100)
    given_name = models.CharField(_("given name"), max_length=100)
    patronymic = models.CharField(_("patronymic"), max_length=100, blank=True)
    # Latin spelling as in the passport; filled by the KMU 2010 transliteration when left empty.
    family_name_latin = models.CharField(_("family name (Latin)"), max_length=100, blank=True)
    given_name_latin = models.CharField(_("given name (Latin)"), max_length=100, blank=True)
    birth_date = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    address = models.CharField(_("address"), max_length=300, blank=True)
    home_site = models.ForeignKey(
        "locations.Site",
        on_delete=models.PROTECT,
        related_name="patients",
        verbose_name=_("home site"),
    )
    phone = PhoneNumberField(_("phone"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=2, choices=Language.choices, default=Language.UKRAINIAN
    )
    # Reminders and questionnaire links go by this channel; "none" means staff call instead.
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=10, choices=Channel.choices, default=Channel.SMS
    )
    physician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="patients_as_physician",
        verbose_name=_("treating physician"),
    )
    psychotherapist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="patients_as_psychotherapist",
        verbose_name=_("psychotherapist"),
    )
    emergency_contact_name = models.CharField(_("emergency contact"), max_length=150, blank=True)
    emergency_contact_phone = PhoneNumberField(_("emergency contact phone"), blank=True)
    emergency_contact_relation = models.CharField(_("relation"), max_length=60, blank=True)
    # Ketamine patients must leave with a responsible adult (domain.md §3.6).
    escort_name = models.CharField(_("usual escort on infusion days"), max_length=150, blank=True)
    escort_phone = PhoneNumberField(_("escort phone"), blank=True)
    escort_relation = models.CharField(_("escort relation"), max_length=60, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Set when an erasure request was carried out: identifying fields are then pseudonymised.
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True)

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["family_name", "given_name"]
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        indexes = [
            # The site's list is paged in name order, and searched by date of birth.
            models.Index(
                fields=["home_site", "family_name", "given_name"], name="patient_site_name_idx"
            ),
            models.Index(fields=["home_site", "birth_date"], name="patient_site_birth_idx"),
        ]

    def __str__(self):
        return self.full_name

    @property
    def initials(self) -> str:
        """What a shared screen or a calendar feed may show instead of the name."""
        return "".join(p[:1] + "." for p in (self.given_name, self.family_name) if p)

    def message_address(self) -> tuple[str, str] | None:
        """(channel, recipient) for reminders and links, or None when no channel is usable."""
        if self.preferred_channel in self.PHONE_CHANNELS and self.phone:
            return (self.Channel(self.preferred_channel), str(self.phone))
        if self.preferred_channel == self.Channel.EMAIL and self.email:
            return (self.Channel.EMAIL, self.email)
        return None

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.family_name, self.given_name, self.patronymic) if p)

    @property
    def latin_name(self) -> str:
        return " ".join(p for p in (self.given_name_latin, self.family_name_latin) if p)

    def age_on(self, day) -> int:
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class PatientSearchTerm(models.Model):
    """One normalised word by which a patient can be found (search.py makes them)."""

    class Kind(models.TextChoices):
        NAME = "name"
        PHONE = "phone"
        RECORD = "record"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="search_terms")
    term = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices)

    class Meta:
        indexes = [models.Index(fields=["term", "patient"], name="patient_search_term_idx")]

    def __str__(self):
        return self.term


class ConsentPurpose(models.TextChoices):
    TREATMENT = "treatment", _("Treatment")
    KETAMINE = "ketamine", _("Ketamine therapy")
    PERSONAL_DATA = "personal_data", _("Personal-data processing")
    COMMUNICATIONS = "communications", _("Communications")
    RESEARCH = "research", _("Research")


class ConsentWording(models.Model):
    """One version of the text a patient agrees to for one purpose."""

    purpose = models.CharField(_("purpose"), max_length=20, choices=ConsentPurpose.choices)
    version = models.PositiveIntegerField(_("version"))
    text_uk = models.TextField(_("text (Ukrainian)"))
    text_en = models.TextField(_("text (English)"))
    effective_from = models.DateTimeField(_("in force from"), default=timezone.now)

    class Meta:
        ordering = ["purpose", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["purpose", "version"], name="consent_wording_version")
        ]

    def __str__(self):
        return f"{self.get_purpose_display()} v{self.version}"

    def text_in(self, language: str) -> str:
        return self.text_en if language == "en" else self.text_uk


class ConsentQuerySet(models.QuerySet):
    def in_force(self):
        return self.filter(withdrawn_at__isnull=True, given=True)


class Consent(models.Model):
    """A patient's answer to one consent wording: when, how, recorded by whom; and withdrawal."""

    class Channel(models.TextChoices):
        PAPER = "paper", _("signed on paper")
        IN_PERSON = "in_person", _("in person, recorded by staff")
        ELECTRONIC = "electronic", _("electronically")
        PHONE = "phone", _("by phone")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=20, choices=ConsentPurpose.choices)
    wording = models.ForeignKey(
        ConsentWording, on_delete=models.PROTECT, related_name="+", verbose_name=_("text")
    )
    given = models.BooleanField(_("consent given"), default=True)
    channel = models.CharField(_("how"), max_length=12, choices=Channel.choices)
    given_at = models.DateTimeField(_("when"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawal_note = models.CharField(_("withdrawal note"), max_length=300, blank=True)

    objects = ConsentQuerySet.as_manager()

    class Meta:
        ordering = ["-given_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(withdrawn_at__isnull=True) | models.Q(given=True),
                name="consent_only_given_can_be_withdrawn",
            )
        ]

    def __str__(self):
        return f"{self.get_purpose_display()} ({self.given_at:%d.%m.%Y})"

    @property
    def in_force(self) -> bool:
        return self.given and self.withdrawn_at is None


class Severity(models.TextChoices):
    """Severity of the current episode, in the Maudsley categories (domain.md §1.3)."""

    SUBSYNDROMAL = "subsyndromal", _("subsyndromal")
    MILD = "mild", _("mild")
    MODERATE = "moderate", _("moderate")
    SEVERE = "severe", _("severe")


class Breastfeeding(models.TextChoices):
    EXCLUSIVE = "exclusive", _("exclusive")
    MIXED = "mixed", _("mixed")
    EXPRESSING = "expressing", _("expressing milk")
    NONE = "none", _("not breastfeeding")


class SubstanceUse(models.TextChoices):
    NONE = "none", _("none")
    PAST = "past", _("in the past")
    CURRENT = "current", _("current")


class IntakeQuerySet(models.QuerySet):
    def current_for(self, patient):
        return (
            self.filter(patient=patient)
            .select_related("recorded_by")
            .order_by("-recorded_at", "-pk")
            .first()
        )


class Intake(models.Model):
    """The intake assessment. Each change is a new row; the newest one is the current intake."""

    CONDITIONS = (
        "condition_trd",
        "condition_postpartum",
        "condition_anxiety",
        "condition_phobia",
        "condition_ptsd",
        "condition_psychosomatic",
        "condition_oncology",
    )
    # Fields that are contraindications or cautions for ketamine (domain.md §3.2).
    SCREEN_CONDITIONS = (
        "hypertension_treated",
        "coronary_disease",
        "stroke_history",
        "cerebral_trauma",
        "aneurysm_or_avm",
        "intracerebral_haemorrhage",
        "hyperthyroidism_untreated",
        "raised_intracranial_pressure",
        "hepatic_impairment",
        "ketamine_hypersensitivity",
        "preeclampsia",
        "psychosis_history",
        "chronic_alcohol_use",
    )

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="intakes")
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    condition_trd = models.BooleanField(_("treatment-resistant depression"), default=False)
    condition_postpartum = models.BooleanField(_("postpartum depression"), default=False)
    condition_anxiety = models.BooleanField(_("anxiety"), default=False)
    condition_phobia = models.BooleanField(_("phobia"), default=False)
    condition_ptsd = models.BooleanField(_("PTSD"), default=False)
    condition_psychosomatic = models.BooleanField(_("psychosomatic disorder"), default=False)
    condition_oncology = models.BooleanField(_("oncology-related distress"), default=False)

    episode_onset = models.DateField(_("current episode began"), null=True, blank=True)
    episode_count = models.PositiveSmallIntegerField(
        _("number of episodes"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    severity = models.CharField(_("severity"), max_length=15, choices=Severity.choices, blank=True)
    psychotic_features = models.BooleanField(_("psychotic features"), default=False)
    bipolar_history = models.BooleanField(_("history of bipolar disorder"), default=False)
    substance_use = models.CharField(
        _("substance use"), max_length=10, choices=SubstanceUse.choices, default=SubstanceUse.NONE
    )
    substance_details = models.CharField(_("substances"), max_length=300, blank=True)
    sleep_disorder = models.BooleanField(_("sleep disorder"), default=False)
    eating_disorder = models.BooleanField(_("eating disorder"), default=False)
    physical_comorbidities = models.TextField(_("physical comorbidities"), blank=True)
    mental_comorbidities = models.TextField(_("mental comorbidities"), blank=True)
    allergies = models.CharField(_("allergies"), max_length=500, blank=True)
    no_known_allergies = models.BooleanField(_("no known allergies"), default=False)

    hypertension_treated = models.BooleanField(_("hypertension (treated)"), default=False)
    coronary_disease = models.BooleanField(
        _("severe coronary or myocardial disease"), default=False
    )
    stroke_history = models.BooleanField(_("stroke (cerebrovascular accident)"), default=False)
    cerebral_trauma = models.BooleanField(_("cerebral trauma"), default=False)
    aneurysm_or_avm = models.BooleanField(
        _("aneurysmal vascular disease or arteriovenous malformation"), default=False
    )
    intracerebral_haemorrhage = models.BooleanField(
        _("history of intracerebral haemorrhage"), default=False
    )
    hyperthyroidism_untreated = models.BooleanField(_("untreated hyperthyroidism"), default=False)
    raised_intracranial_pressure = models.BooleanField(
        _("raised intracranial pressure"), default=False
    )
    hepatic_impairment = models.BooleanField(_("hepatic impairment"), default=False)
    ketamine_hypersensitivity = models.BooleanField(
        _("hypersensitivity to ketamine or esketamine"), default=False
    )
    preeclampsia = models.BooleanField(_("pre-eclampsia or eclampsia"), default=False)
    psychosis_history = models.BooleanField(_("history of psychosis"), default=False)
    chronic_alcohol_use = models.BooleanField(_("chronic alcohol use"), default=False)

    pregnant = models.BooleanField(_("pregnant now"), default=False)
    pregnancy_start = models.DateField(_("pregnancy began"), null=True, blank=True)
    delivery_date = models.DateField(_("delivery date"), null=True, blank=True)
    breastfeeding = models.CharField(
        _("breastfeeding"), max_length=12, choices=Breastfeeding.choices, blank=True
    )
    infant_birth_date = models.DateField(_("infant's date of birth"), null=True, blank=True)

    objects = IntakeQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(episode_count__isnull=True) | models.Q(episode_count__gte=1),
                name="intake_episode_count_positive",
            )
        ]

    def __str__(self):
        return f"{self.patient} {self.recorded_at:%d.%m.%Y}"

    @property
    def conditions(self) -> list[str]:
        return [
            str(self._meta.get_field(f).verbose_name) for f in self.CONDITIONS if getattr(self, f)
        ]


class BodyMeasurement(StrikeOut):
    """Weight (and height) on a date; the dose of ketamine is computed from the latest weight."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="measurements")
    measured_on = models.DateField(_("measured on"))
    weight_kg = models.DecimalField(
        _("weight, kg"),
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("20")), MaxValueValidator(Decimal("400"))],
    )
    height_cm = models.PositiveSmallIntegerField(
        _("height, cm"),
        null=True,
        blank=True,
        validators=[MinValueValidator(100), MaxValueValidator(250)],
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = StrikeOutQuerySet.as_manager()

    class Meta:
        ordering = ["-measured_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weight_kg__gte=20, weight_kg__lte=400), name="weight_kg_range"
            ),
            models.CheckConstraint(
                condition=models.Q(height_cm__isnull=True)
                | models.Q(height_cm__gte=100, height_cm__lte=250),
                name="height_cm_range",
            ),
        ]

    def __str__(self):
        return f"{self.weight_kg} kg ({self.measured_on:%d.%m.%Y})"


class BloodPressure(StrikeOut):
    """One resting blood-pressure reading outside an infusion (intake, screening)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="blood_pressures")
    measured_on = models.DateField(_("measured on"))
    systolic = models.PositiveSmallIntegerField(
        _("systolic, mmHg"), validators=[MinValueValidator(50), MaxValueValidator(300)]
    )
    diastolic = models.PositiveSmallIntegerField(
        _("diastolic, mmHg"), validators=[MinValueValidator(20), MaxValueValidator(200)]
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = StrikeOutQuerySet.as_manager()

    class Meta:
        ordering = ["-measured_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(systolic__gte=50, systolic__lte=300), name="bp_systolic_range"
            ),
            models.CheckConstraint(
                condition=models.Q(diastolic__gte=20, diastolic__lte=200), name="bp_diastolic_range"
            ),
            models.CheckConstraint(
                condition=models.Q(systolic__gt=models.F("diastolic")),
                name="bp_systolic_above_diastolic",
            ),
        ]

    def __str__(self):
        return f"{self.systolic}/{self.diastolic}"


class Medication(StrikeOut):
    """A medicine the patient takes (or took) besides the antidepressant trials."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="medications")
    drug = models.ForeignKey(
        "formulary.Drug", on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("drug")
    )
    other_name = models.CharField(_("other medicine"), max_length=150, blank=True)
    daily_dose_mg = models.DecimalField(
        _("daily dose, mg"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100000"))],
    )
    started_on = models.DateField(_("started"), null=True, blank=True)
    stopped_on = models.DateField(_("stopped"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = StrikeOutQuerySet.as_manager()

    class Meta:
        ordering = ["-started_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(drug__isnull=False) | ~models.Q(other_name=""),
                name="medication_names_a_drug",
            ),
            models.CheckConstraint(
                condition=models.Q(stopped_on__isnull=True)
                | models.Q(started_on__isnull=True)
                | models.Q(stopped_on__gte=models.F("started_on")),
                name="medication_stops_after_start",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return self.drug.name if self.drug_id else self.other_name

    def active_on(self, day) -> bool:
        return (self.started_on is None or self.started_on <= day) and (
            self.stopped_on is None or self.stopped_on >= day
        )


class Adherence(models.TextChoices):
    GOOD = "good", _("good")
    PARTIAL = "partial", _("partial")
    POOR = "poor", _("poor")
    UNKNOWN = "unknown", _("not known")


class StopReason(models.TextChoices):
    ONGOING = "", _("still taking")
    INEFFECTIVE = "ineffective", _("not effective")
    SIDE_EFFECTS = "side_effects", _("side effects")
    PATIENT_CHOICE = "patient_choice", _("patient's decision")
    REMISSION = "remission", _("remission, course completed")
    OTHER = "other", _("other")


class AntidepressantTrial(StrikeOut):
    """One course of one antidepressant: dose, dates, adherence and how much it helped."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="trials")
    drug = models.ForeignKey("formulary.Drug", on_delete=models.PROTECT, verbose_name=_("drug"))
    daily_dose_mg = models.DecimalField(
        _("daily dose, mg"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("10000"))],
    )
    started_on = models.DateField(_("started"), null=True, blank=True)
    stopped_on = models.DateField(_("stopped"), null=True, blank=True)
    adherence = models.CharField(
        _("adherence"), max_length=10, choices=Adherence.choices, default=Adherence.UNKNOWN
    )
    improvement_pct = models.SmallIntegerField(
        _("improvement, %"),
        null=True,
        blank=True,
        validators=[MinValueValidator(-100), MaxValueValidator(100)],
    )
    side_effects = models.CharField(_("side effects"), max_length=500, blank=True)
    stop_reason = models.CharField(
        _("reason stopped"), max_length=20, choices=StopReason.choices, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = StrikeOutQuerySet.as_manager()

    class Meta:
        ordering = ["started_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(stopped_on__isnull=True)
                | models.Q(started_on__isnull=True)
                | models.Q(stopped_on__gte=models.F("started_on")),
                name="trial_stops_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(improvement_pct__isnull=True)
                | models.Q(improvement_pct__gte=-100, improvement_pct__lte=100),
                name="trial_improvement_range",
            ),
        ]

    def __str__(self):
        return f"{self.drug} {self.daily_dose_mg or '?'} mg"


class PriorTreatment(StrikeOut):
    """A non-antidepressant treatment: augmentation, psychotherapy, ECT, TMS or tDCS."""

    class Kind(models.TextChoices):
        AUGMENTATION = "augmentation", _("augmentation")
        PSYCHOTHERAPY = "psychotherapy", _("psychotherapy")
        ECT = "ect", _("electroconvulsive therapy")
        TMS = "tms", _("TMS")
        TDCS = "tdcs", _("tDCS")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="prior_treatments")
    kind = models.CharField(_("treatment"), max_length=15, choices=Kind.choices)
    drug = models.ForeignKey(
        "formulary.Drug",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("augmenting drug"),
    )
    daily_dose_mg = models.DecimalField(
        _("daily dose, mg"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("10000"))],
    )
    modality = models.CharField(_("method"), max_length=150, blank=True)
    bilateral = models.BooleanField(_("bilateral (ECT)"), default=False)
    sessions = models.PositiveSmallIntegerField(
        _("sessions"), null=True, blank=True, validators=[MaxValueValidator(1000)]
    )
    started_on = models.DateField(_("started"), null=True, blank=True)
    stopped_on = models.DateField(_("stopped"), null=True, blank=True)
    improvement_pct = models.SmallIntegerField(
        _("improvement, %"),
        null=True,
        blank=True,
        validators=[MinValueValidator(-100), MaxValueValidator(100)],
    )
    notes = models.CharField(_("notes"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = StrikeOutQuerySet.as_manager()

    class Meta:
        ordering = ["started_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(stopped_on__isnull=True)
                | models.Q(started_on__isnull=True)
                | models.Q(stopped_on__gte=models.F("started_on")),
                name="course_stops_after_start",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="augmentation") | models.Q(drug__isnull=False),
                name="augmentation_names_a_drug",
            ),
        ]

    def __str__(self):
        return self.get_kind_display()


class EligibilityDecision(models.Model):
    """A physician's decision whether ketamine may be given, with the screen it was made on.

    Rows are appended; the newest one is the decision in force. `findings` keeps the screen's
    finding codes at the time, so a later change of the record does not rewrite the reasons.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="eligibility")
    is_eligible = models.BooleanField(_("eligible for ketamine"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)
    findings = models.JSONField(default=list, blank=True)
    reasons = models.TextField(_("reasons"), blank=True)
    override_reason = models.TextField(_("why the decision departs from the screen"), blank=True)

    class Meta:
        ordering = ["-decided_at", "-pk"]
        get_latest_by = "decided_at"

    def __str__(self):
        return f"{self.patient}: {self.is_eligible}"


class ClinicalNote(SignedNote):
    """A consultation or psychotherapy note. Signed notes are locked; corrections are addenda."""

    class Kind(models.TextChoices):
        CONSULTATION = "consultation", _("consultation note")
        PSYCHOTHERAPY = "psychotherapy", _("psychotherapy note")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="notes")
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.created_at:%d.%m.%Y}"


class PrivacyRequest(models.Model):
    """A data-subject request (access, rectification, erasure) and how it was answered.

    The answer is due within 30 calendar days (Law 2297-VI Art. 8, stricter than GDPR's one
    month; domain.md §6.3, §6.5).
    """

    ANSWER_DAYS = 30  # Law of Ukraine 2297-VI, Art. 8 [R98]

    class Kind(models.TextChoices):
        ACCESS = "access", _("access to own data")
        RECTIFICATION = "rectification", _("rectification")
        ERASURE = "erasure", _("erasure")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        COMPLETED = "completed", _("completed")
        REFUSED = "refused", _("refused")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="privacy_requests")
    kind = models.CharField(_("request"), max_length=15, choices=Kind.choices)
    received_on = models.DateField(_("received"))
    due_on = models.DateField(_("answer due"))
    details = models.CharField(_("details"), max_length=1000, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    outcome = models.TextField(_("outcome"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-received_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(due_on__gte=models.F("received_on")),
                name="privacy_due_after_received",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.received_on:%d.%m.%Y}"
