"""The audit trail and the outbox: the two tables every other app writes through."""

import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEventQuerySet(models.QuerySet):
    def for_patient(self, patient):
        return self.filter(patient=patient)


class AuditEvent(models.Model):
    """One domain-level event: who did what to which record, when, from where, with what outcome.

    Rows are append-only (database triggers) and hash-chained: each row's hash covers its content
    and the previous row's hash, so `manage.py verify_audit` can name edited, deleted or reordered
    rows. security.md §2.4 lists the content required.

    There is one chain per site (`site-<id>`) and one for rows without a site (`global`), so
    sites append in parallel; `seq` counts within a chain. Rows written before chains existed
    form the closed chain `legacy`.
    """

    APPEND_ONLY = True

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("success")
        DENIED = "denied", _("denied")
        FAILED = "failed", _("failed")

    chain = models.CharField(max_length=24, db_default="legacy", editable=False)
    seq = models.BigIntegerField(editable=False)
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    # The actor's e-mail as it was at the time, so renaming an account does not rewrite history.
    actor_label = models.CharField(_("actor"), max_length=254, blank=True)
    action = models.CharField(_("action"), max_length=80, db_index=True)
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS
    )
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("patient"),
    )
    object_type = models.CharField(_("object type"), max_length=80, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    site = models.ForeignKey(
        "locations.Site",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("site"),
    )
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    request_id = models.CharField(max_length=36, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    prev_hash = models.CharField(max_length=64)
    row_hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["patient", "-at"]), models.Index(fields=["actor", "-at"])]
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_seq_unique_in_chain")
        ]

    def __str__(self):
        return f"{self.chain}#{self.seq} {self.action}"


class OutboxMessageQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Messages of the user's sites, and those of no site (staff account e-mails)."""
        return self.filter(models.Q(site__in=user.site_ids) | models.Q(site__isnull=True))

    def due(self, now):
        return self.filter(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now).filter(
            models.Q(lease_until__isnull=True) | models.Q(lease_until__lt=now)
        )


class OutboxMessage(models.Model):
    """An outgoing e-mail or text, written in the same transaction as the change that caused it.

    Delivery is at-least-once: the worker claims due rows with a lease, and a row becomes
    `sent` only after the sender confirmed. The message id is stable across retries, so the
    receiving side can drop duplicates. security.md §6.3.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        SMS = "sms", _("SMS")
        TELEGRAM = "telegram", _("Telegram")
        VIBER = "viber", _("Viber")
        # Not a message to a person: a payment's registration with the PRRO (billing), queued
        # here so that it is retried, dead-lettered and sent again like any message.
        FISCAL = "fiscal", _("fiscal receipt (PRRO)")

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        DEAD = "dead", _("failed permanently")
        # Withdrawn before any attempt to send (the visit it announced was cancelled or moved).
        CANCELLED = "cancelled", _("withdrawn, not sent")

    message_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=254)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    # The body carries a secret (a sign-in, reset or questionnaire link): it is blanked once the
    # message is sent, and only its hash stays to prove what was sent.
    carries_secret = models.BooleanField(default=False)
    body_sha256 = models.CharField(max_length=64, blank=True)
    # The site the message is about: its administrators see and retry it. Empty for e-mails
    # about staff accounts (invitations, password resets), which carry no patient's data.
    site = models.ForeignKey(
        "locations.Site",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("site"),
    )
    # Callers that may run twice (a retried request) pass a key; the second enqueue is a no-op.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    provider_ref = models.CharField(max_length=200, blank=True)

    objects = OutboxMessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="outbox_sent_has_time",
            )
        ]

    def __str__(self):
        return f"{self.channel} to {self.recipient}"

    @property
    def masked_recipient(self) -> str:
        """The address with most of it hidden, for lists that many staff may see."""
        if self.channel == self.Channel.FISCAL:
            return self.recipient  # the PRRO, not a person
        name, at, domain = self.recipient.partition("@")
        if at:
            return f"{name[:2]}***@{domain}"
        return f"{self.recipient[:4]}***{self.recipient[-2:]}"


class IdempotencyKey(models.Model):
    """A key a form carried, and the record its first successful submission created.

    A retried POST (the answer was lost, the button pressed twice) carries the same key and is
    answered with the same record instead of a second one. See `core/idempotency.py`.
    """

    key = models.UUIDField(unique=True)
    action = models.CharField(max_length=60)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.action} {self.key}"


class NoteAddendum(models.Model):
    """Text added to a signed note of any kind; the note itself stays as it was signed.

    The note is named by content type and id (core.records.SignedNote has the reverse
    `addenda`), so one table serves every app's notes without core importing those apps.
    """

    note_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    note_id = models.PositiveBigIntegerField()
    note = GenericForeignKey("note_type", "note_id")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("text"))
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["added_at", "pk"]
        verbose_name = _("addendum")
        verbose_name_plural = _("addenda")
        indexes = [models.Index(fields=["note_type", "note_id"])]

    def __str__(self):
        return f"+ {self.added_at:%d.%m.%Y %H:%M}"


class JobHeartbeat(models.Model):
    """When a periodic job (core/jobs.py) last started and finished, and how it ended.

    One row per job, written by the worker's scheduler; the administrator reads it, and
    /readyz reports 503 when a job has not finished for several of its periods.
    """

    class Outcome(models.TextChoices):
        RUNNING = "running", _("running")
        OK = "ok", _("finished")
        FAILED = "failed", _("failed")

    name = models.CharField(max_length=60, unique=True)
    last_started_at = models.DateTimeField(null=True)
    last_finished_at = models.DateTimeField(null=True)
    last_outcome = models.CharField(max_length=10, choices=Outcome, default=Outcome.RUNNING)
    # The exception's class and message when the last run failed (no stack, no patient data).
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class ProposedChange(models.Model):
    """A change to clinical thresholds that takes effect only when a physician co-signs it.

    `kind` names what is changed (`treatment.settings`, `formulary.minimum_dose`, ...) and
    `subject` which one (a site, a drug); `values` holds the proposed values and `previous`
    the ones in force when it was proposed, both as text by field name. The owning app applies
    the values when a physician other than the proposer co-signs (`core/cosign.py`).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting a physician's co-signature")
        APPLIED = "applied", _("co-signed and in force")
        REJECTED = "rejected", _("rejected")

    # The status machine of core.records (not its mixin: core.records imports this module).
    TRANSITIONS = {
        Status.PENDING: {Status.APPLIED, Status.REJECTED},
        Status.APPLIED: set(),
        Status.REJECTED: set(),
    }
    STATUS_HISTORY = None

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=40)
    subject = models.CharField(max_length=60)
    site = models.ForeignKey(
        "locations.Site", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    values = models.JSONField()
    previous = models.JSONField()
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject"],
                condition=models.Q(status="pending"),
                name="one_pending_change_per_subject",
            ),
            # Whoever decides is not whoever proposed (the co-signature is a second person).
            models.CheckConstraint(
                condition=models.Q(decided_by__isnull=True)
                | ~models.Q(decided_by=models.F("proposed_by")),
                name="change_decided_by_another",
            ),
            models.CheckConstraint(
                condition=models.Q(status="pending", decided_by__isnull=True)
                | (~models.Q(status="pending") & models.Q(decided_by__isnull=False)),
                name="change_decided_when_not_pending",
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.subject} ({self.status})"

    def can_move_to(self, status) -> bool:
        return status in self.TRANSITIONS[self.status]

    @property
    def changes(self) -> list[tuple[str, str, str]]:
        """(field, value in force when proposed, proposed value) for each field that differs."""
        return [
            (name, self.previous.get(name, ""), value)
            for name, value in self.values.items()
            if self.previous.get(name) != value
        ]
