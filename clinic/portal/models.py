"""The patient's side of the system: portal accounts, one-time sign-in codes, portal sessions,
each site's self-service policy and the clinician's release of scores to the patient.

Patients are not Django users. A portal account belongs to one registered patient; signing in
proves control of the account's phone or e-mail with a one-time code, and opens a portal
session of its own (its own cookie, its own limits), never a staff session.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.core.records import StatusMachine


class PortalAccount(models.Model):
    """A registered patient's way into the portal: where codes go and in which language."""

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        TELEGRAM = "telegram", _("Telegram")
        VIBER = "viber", _("Viber")
        EMAIL = "email", _("E-mail")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.OneToOneField(
        "patients.Patient", on_delete=models.PROTECT, related_name="portal_account"
    )
    # Normalised identifiers the patient types to sign in: E.164 phone, lower-case e-mail.
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    email = models.EmailField(_("e-mail"), blank=True, db_index=True)
    channel = models.CharField(_("preferred channel"), max_length=10, choices=Channel.choices)
    language = models.CharField(_("language"), max_length=2, choices=settings.LANGUAGES)
    is_active = models.BooleanField(_("active"), default=True)
    invited_at = models.DateTimeField(_("invited"), default=timezone.now)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    last_signed_in_at = models.DateTimeField(_("last signed in"), null=True, blank=True)
    # The patient's optional authenticator app: the TOTP secret sealed like the staff's
    # (accounts.adapters.MFAAdapter, AES-GCM), and the last time step used, so no code
    # counts twice.
    totp_secret = models.CharField(max_length=200, blank=True, editable=False)
    totp_last_step = models.BigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("portal account")
        verbose_name_plural = _("portal accounts")
        constraints = [
            models.CheckConstraint(
                condition=~Q(phone="") | ~Q(email=""), name="portal_account_has_identifier"
            ),
        ]

    def __str__(self):
        return str(self.public_id)

    @property
    def has_authenticator(self) -> bool:
        return bool(self.totp_secret)


class SignInCode(models.Model):
    """One code sent for one sign-in: only its keyed hash is kept; single use, expiring.

    A request for an identifier nobody holds writes a row too (without an account), so the
    work done, and the answer, do not tell a stranger whether the identifier is registered.
    """

    identifier_hash = models.CharField(max_length=64, db_index=True)
    account = models.ForeignKey(
        PortalAccount, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    code_hash = models.CharField(max_length=64)
    # The keyed hash of the e-mailed sign-in link's token: the same secret as the code, in
    # another form (same lifetime, same single use, same attempts).
    link_hash = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"code {self.pk} ({self.created_at:%Y-%m-%d %H:%M})"


class SignInAttempt(models.Model):
    """One request for a code or one code typed, counted by the rate limits."""

    class Kind(models.TextChoices):
        REQUEST = "request", _("code requested")
        VERIFY = "verify", _("code entered")

    identifier_hash = models.CharField(max_length=64)
    ip = models.GenericIPAddressField(null=True, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    succeeded = models.BooleanField(default=False)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["identifier_hash", "at"], name="portal_attempt_ident_idx"),
            models.Index(fields=["ip", "at"], name="portal_attempt_ip_idx"),
        ]

    def __str__(self):
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M}"


class PortalSession(models.Model):
    """A signed-in portal visit: the cookie holds a random key, the row only its hash."""

    key_hash = models.CharField(max_length=64, unique=True)
    account = models.ForeignKey(PortalAccount, on_delete=models.CASCADE, related_name="sessions")
    shared_device = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    # Who signed in, when it is not the patient whose portal is open: a trusted person of
    # `account`'s patient. `own_account` is the viewer's own account, if they are a patient
    # too, and `identifier_hash` the identifier they signed in with; both let the viewer
    # switch to another portal the same identifier opens, without a new code.
    trusted_person = models.ForeignKey(
        "TrustedPerson", on_delete=models.CASCADE, null=True, blank=True, related_name="sessions"
    )
    own_account = models.ForeignKey(
        PortalAccount, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    identifier_hash = models.CharField(max_length=64, blank=True)

    def __str__(self):
        return f"portal session {self.pk}"


class PortalPolicy(models.Model):
    """What a site lets patients change themselves. Clinic data, not constants: the numbers
    are the clinic's UNCONFIRMED policy, and `provenance` says where each came from."""

    site = models.OneToOneField(
        "locations.Site", on_delete=models.CASCADE, related_name="portal_policy"
    )
    notice_hours = models.PositiveSmallIntegerField(
        _("notice before the visit, hours"),
        help_text=_("A visit closer than this is moved or cancelled by phoning the centre."),
    )
    movable_visit_types = models.ManyToManyField(
        "scheduling.VisitType",
        related_name="+",
        blank=True,
        verbose_name=_("visit types the patient may move or cancel"),
    )
    infusion_visit_types = models.ManyToManyField(
        "scheduling.VisitType",
        related_name="+",
        blank=True,
        verbose_name=_("infusion visit types"),
        help_text=_("Moved only inside the approved course, with the days between infusions."),
    )
    min_days_between_infusions = models.PositiveSmallIntegerField(
        _("minimum days between infusions")
    )
    search_days = models.PositiveSmallIntegerField(_("days ahead offered when moving"), default=21)
    reply_working_days = models.PositiveSmallIntegerField(
        _("working days to answer a message"),
        default=2,
        help_text=_("What the portal promises a patient who writes to the care team."),
    )
    provenance = models.TextField(
        _("where these numbers come from"),
        help_text=_("Who decided them and when; UNCONFIRMED until the medical director signs."),
    )
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("portal policy")
        verbose_name_plural = _("portal policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(notice_hours__lte=720), name="portal_notice_at_most_30_days"
            ),
            models.CheckConstraint(
                condition=Q(min_days_between_infusions__lte=60),
                name="portal_infusion_gap_at_most_60",
            ),
            models.CheckConstraint(
                condition=Q(search_days__gte=1, search_days__lte=90),
                name="portal_search_days_1_to_90",
            ),
        ]

    def __str__(self):
        return f"portal policy of site {self.site_id}"


class ScoreRelease(models.Model):
    """A clinician released the patient's scores up to `released_through` to the portal."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    released_through = models.DateTimeField()
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(_("note to the patient"), max_length=500, blank=True)

    class Meta:
        ordering = ["-released_through", "-pk"]

    def __str__(self):
        return f"scores released through {self.released_through:%Y-%m-%d %H:%M}"


class VisitPreparation(models.Model):
    """What the patient should know before a visit of one type (shown with the confirmation)."""

    visit_type = models.OneToOneField(
        "scheduling.VisitType", on_delete=models.CASCADE, related_name="preparation"
    )
    text_uk = models.TextField(_("preparation (Ukrainian)"))
    text_en = models.TextField(_("preparation (English)"))

    def __str__(self):
        return f"preparation for {self.visit_type_id}"

    def text_in(self, language: str) -> str:
        return self.text_en if language == "en" else self.text_uk


class TrustedPersonQuerySet(models.QuerySet):
    def live(self, now=None):
        """Grants in force: not revoked and not past their expiry date."""
        today = timezone.localdate(now) if now else timezone.localdate()
        return self.filter(revoked_at__isnull=True).filter(
            Q(expires_on__isnull=True) | Q(expires_on__gte=today)
        )


class TrustedPerson(models.Model):
    """Someone the patient lets into part of their portal (an escort, a parent, a partner).

    The grant names one phone or e-mail the person signs in with, and a short fixed list of
    scopes. Scores, questionnaires, notes, the access log and the data export are never among
    them: those stay the patient's alone.
    """

    class Relation(models.TextChoices):
        ESCORT = "escort", _("escort")
        PARENT = "parent", _("parent")
        PARTNER = "partner", _("partner")
        CHILD = "child", _("son or daughter")
        OTHER = "other", _("someone else close to me")

    class Scope(models.TextChoices):
        VISITS = "visits", _("upcoming visits and their preparation instructions")
        CHANGE_VISITS = "change_visits", _("move or cancel visits")
        DOCUMENTS = "documents", _("documents (visit confirmations)")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="trusted_people"
    )
    name = models.CharField(_("name"), max_length=150)
    relation = models.CharField(_("relation"), max_length=10, choices=Relation.choices)
    # Normalised like PortalAccount's (E.164 phone or lower-case e-mail); the hash finds the
    # grants of an identifier at sign-in the same way codes are found.
    contact = models.CharField(_("phone or e-mail"), max_length=254)
    identifier_hash = models.CharField(max_length=64, db_index=True)
    channel = models.CharField(max_length=10, choices=PortalAccount.Channel.choices)
    can_see_visits = models.BooleanField(Scope.VISITS.label, default=False)
    can_change_visits = models.BooleanField(Scope.CHANGE_VISITS.label, default=False)
    can_see_documents = models.BooleanField(Scope.DOCUMENTS.label, default=False)
    expires_on = models.DateField(_("until (optional)"), null=True, blank=True)
    granted_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Null when the patient revoked it in the portal; the member of staff otherwise.
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = TrustedPersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("trusted person")
        verbose_name_plural = _("trusted people")
        ordering = ["-granted_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(can_see_visits=True)
                | Q(can_change_visits=True)
                | Q(can_see_documents=True),
                name="portal_trusted_has_a_scope",
            ),
            # Moving a visit is done from its page, which showing visits opens.
            models.CheckConstraint(
                condition=Q(can_change_visits=False) | Q(can_see_visits=True),
                name="portal_trusted_change_needs_visits",
            ),
        ]

    def __str__(self):
        return f"trusted person {self.public_id}"

    @property
    def scopes(self) -> frozenset[str]:
        flags = {
            self.Scope.VISITS: self.can_see_visits,
            self.Scope.CHANGE_VISITS: self.can_change_visits,
            self.Scope.DOCUMENTS: self.can_see_documents,
        }
        return frozenset(str(scope) for scope, granted in flags.items() if granted)

    def scope_labels(self) -> list[str]:
        return [str(label) for value, label in self.Scope.choices if value in self.scopes]

    def is_live(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.revoked_at is None and (self.expires_on is None or self.expires_on >= today)


class SessionSummary(models.Model):
    """A short plain-language summary of a signed session note, written by a physician for
    the patient. Nothing of the note is copied into it: the patient sees only what the
    physician typed, and only while it is released."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    note = models.OneToOneField("treatment.SessionNote", on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("summary for the patient"), max_length=2000)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    class Meta:
        verbose_name = _("session summary")
        verbose_name_plural = _("session summaries")
        constraints = [
            models.CheckConstraint(
                condition=Q(released_at__isnull=True) | Q(released_by__isnull=False),
                name="portal_summary_released_by_someone",
            ),
        ]

    def __str__(self):
        return f"summary of note {self.note_id}"

    @property
    def is_released(self) -> bool:
        return self.released_at is not None


class MessageThread(StatusMachine, models.Model):
    """A patient's message to the care team and the replies to it, routed by topic: reception
    of the patient's site, or the treating clinician. Part of the record; never deleted."""

    class Topic(models.TextChoices):
        APPOINTMENT = "appointment", _("Appointments")
        ADMINISTRATIVE = "administrative", _("Documents, payments and other practical matters")
        TREATMENT = "treatment", _("A question about my treatment")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    # Topics reception answers; the others go to the treating clinician.
    RECEPTION_TOPICS = (Topic.APPOINTMENT, Topic.ADMINISTRATIVE)
    TRANSITIONS = {Status.OPEN: {Status.CLOSED}, Status.CLOSED: set()}

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey("locations.Site", on_delete=models.PROTECT, related_name="+")
    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices)
    # The treating clinician a treatment question went to (None: every physician of the site).
    addressed_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(default=timezone.now)
    # Whether the last word is the patient's: the thread waits for the care team.
    awaiting_reply = models.BooleanField(default=True)
    # A staff reply the patient has not opened yet (marked in the portal's list).
    reply_unread = models.BooleanField(default=False)

    class Meta:
        ordering = ["-last_message_at", "-pk"]
        indexes = [
            models.Index(
                fields=["site", "topic", "last_message_at"],
                condition=Q(status="open", awaiting_reply=True),
                name="portal_thread_waiting_idx",
            ),
        ]

    def __str__(self):
        return str(self.public_id)

    @property
    def for_reception(self) -> bool:
        return self.topic in self.RECEPTION_TOPICS

    @property
    def unread_by_patient(self) -> bool:
        return self.reply_unread


class CareMessage(models.Model):
    """One message of a thread: the patient's (no author) or a member of staff's. Text only."""

    MAX_LENGTH = 2000

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    thread = models.ForeignKey(MessageThread, on_delete=models.PROTECT, related_name="messages")
    # None: written by the patient in the portal.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    text = models.TextField(_("message"), max_length=MAX_LENGTH)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sent_at", "pk"]
        indexes = [models.Index(fields=["thread", "sent_at"], name="portal_message_thread_idx")]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="portal_message_not_empty"),
        ]

    def __str__(self):
        return f"message {self.public_id}"

    @property
    def from_patient(self) -> bool:
        return self.author_id is None
