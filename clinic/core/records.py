"""Record-keeping primitives every app shares: strike-out, signed notes, status history.

Clinical rows are never deleted or rewritten (style.md): a wrong entry is struck out with who,
when and why; a signed note is locked and corrected by addenda; a status change is a history
row checked against the machine's one table of allowed moves. Each of these is defined here
once, as an abstract model and one service, so every app records them the same way and the
audit trail names them with the same verbs.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinic.core.audit import audit
from clinic.core.errors import Refused

# Refusals ---------------------------------------------------------------------------------


class RecordKeepingRefused(Refused):
    """A record primitive refused to act; nothing was written. `code` names it for the audit."""

    code = "record.refused"

    @property
    def action(self) -> str:
        return self.code


class StrikeOutRefused(RecordKeepingRefused):
    code = "record.strike_out.refused"


class NoteRefused(RecordKeepingRefused):
    code = "note.refused"


class TransitionRefused(RecordKeepingRefused):
    code = "status.change.refused"


# Strike-out ("entered in error") -----------------------------------------------------------

STRUCK_OUT = "record.struck_out"


class StrikeOutQuerySet(models.QuerySet):
    def standing(self):
        """Rows that were not struck out: the ones that count."""
        return self.filter(entered_in_error=False)


class StrikeOut(models.Model):
    """A row that can be marked "entered in error": it stays, struck out, with who, when, why."""

    entered_in_error = models.BooleanField(gettext_lazy("entered in error"), default=False)
    strike_out_reason = models.CharField(gettext_lazy("reason"), max_length=500, blank=True)
    struck_out_at = models.DateTimeField(null=True, blank=True)
    struck_out_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        abstract = True


@transaction.atomic
def strike_out(record: StrikeOut, *, reason: str, actor):
    """Mark a record entered in error; refuses an empty reason and a second strike-out."""
    reason = reason.strip()
    if not reason:
        raise StrikeOutRefused(_("Say why the entry is wrong."))
    limit = type(record)._meta.get_field("strike_out_reason").max_length
    if len(reason) > limit:
        raise StrikeOutRefused(
            _("The reason is longer than %(limit)d characters.") % {"limit": limit}
        )
    # Lock order: docs/architecture.md, "Locks and their order".
    record = type(record).objects.select_for_update(of=("self",), no_key=True).get(pk=record.pk)
    if record.entered_in_error:
        raise StrikeOutRefused(_("This entry is already marked as entered in error."))
    record.entered_in_error = True
    record.strike_out_reason = reason
    record.struck_out_at = timezone.now()
    record.struck_out_by = actor
    record.save(
        update_fields=["entered_in_error", "strike_out_reason", "struck_out_at", "struck_out_by"]
    )
    audit(actor, STRUCK_OUT, record.patient, obj=record, reason=reason)
    return record


# Signed notes with addenda -----------------------------------------------------------------


class SignedNote(models.Model):
    """A note its author drafts, then signs; signed, it is locked and takes addenda only."""

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(gettext_lazy("text"))
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    signed_at = models.DateTimeField(gettext_lazy("signed"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Every kind of note keeps its addenda in the one table, core.NoteAddendum.
    addenda = GenericRelation(
        "core.NoteAddendum", content_type_field="note_type", object_id_field="note_id"
    )

    class Meta:
        abstract = True

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None


def _locked_note(note: SignedNote) -> SignedNote:
    return type(note).objects.select_for_update(of=("self",), no_key=True).get(pk=note.pk)


@transaction.atomic
def edit_note(note: SignedNote, *, text: str, actor) -> SignedNote:
    """The author changes a draft; a signed note is refused (it takes addenda)."""
    note = _locked_note(note)
    if note.author_id != actor.pk:
        raise NoteRefused(_("Only the author can change a note."))
    if note.is_signed:
        raise NoteRefused(_("A signed note cannot be changed; add an addendum."))
    if not text.strip():
        raise NoteRefused(_("The note is empty."))
    note.text, note.updated_at = text, timezone.now()
    note.save(update_fields=["text", "updated_at"])
    audit(actor, "note.edited", note.patient, obj=note)
    return note


@transaction.atomic
def sign_note(note: SignedNote, *, actor) -> SignedNote:
    """The author signs the note; from now on it is locked."""
    note = _locked_note(note)
    if note.author_id != actor.pk:
        raise NoteRefused(_("Only the author can sign a note."))
    if note.is_signed:
        raise NoteRefused(_("The note is already signed."))
    note.signed_at, note.signed_by = timezone.now(), actor
    note.save(update_fields=["signed_at", "signed_by"])
    audit(actor, "note.signed", note.patient, obj=note)
    return note


@transaction.atomic
def add_addendum(note: SignedNote, *, text: str, actor):
    """Add dated text to a signed note without changing what was signed."""
    from clinic.core.models import NoteAddendum

    note = _locked_note(note)
    if not note.is_signed:
        raise NoteRefused(_("Change the draft itself; addenda are for signed notes."))
    if not text.strip():
        raise NoteRefused(_("The addendum is empty."))
    addendum = NoteAddendum.objects.create(note=note, text=text.strip(), author=actor)
    audit(actor, "note.addendum_added", note.patient, obj=note)
    return addendum


# Status machines and their history ---------------------------------------------------------


class StatusHistory(models.Model):
    """One status a record passed: which, when, by whom and why (subclasses add the FK)."""

    status = models.CharField(max_length=20)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        abstract = True
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.status} {self.at:%Y-%m-%d %H:%M}"


class StatusMachine:
    """Mixin for a model with a `status` moved along its one `TRANSITIONS` table.

    `TRANSITIONS` maps each status to the set it may move to; `STATUS_HISTORY` names the
    reverse accessor of its `StatusHistory` rows, when it keeps them.
    """

    TRANSITIONS: dict = {}
    STATUS_HISTORY: str | None = None

    def can_move_to(self, status) -> bool:
        return status in self.TRANSITIONS[self.status]


def transition(obj, to, *, actor, reason: str = "", at=None, audit_as: str | None = None, also=()):
    """Move `obj` to status `to` if its table allows it, with its history row (and audit row).

    Runs inside the caller's transaction on a row the caller has locked. `also` names fields
    the caller set on `obj` that change with the status (saved in the same UPDATE, so a check
    constraint tying them to the status holds). `audit_as` names the audit verb; a service that
    audits the whole step itself (with more than the status) leaves it out, so the step is not
    audited twice.
    """
    if not obj.can_move_to(to):
        raise TransitionRefused(
            _("This step is not possible while the status is %(status)s.")
            % {"status": obj.get_status_display()}
        )
    obj.status = to
    obj.save(update_fields=["status", *also])
    if obj.STATUS_HISTORY:
        getattr(obj, obj.STATUS_HISTORY).create(
            status=to, by=actor, reason=reason[:500], at=at or timezone.now()
        )
    if audit_as:
        audit(actor, audit_as, getattr(obj, "patient", None), obj=obj, reason=reason or str(to))
    return obj
