"""Writes that a retried POST must not repeat.

A form that creates a record carries a key generated when the form was drawn
(`core.forms.idempotency_key_field`). The write runs through `once(...)`: the first
submission with a key records it beside what it created, in the same transaction; a later
submission with the same key gets that record back and writes nothing. The key row is
inserted before anything else, so two copies of one submission racing each other meet on its
unique index: the second waits for the first to commit and then finds its record. Lock order:
docs/architecture.md, "Locks and their order" (the key comes first).
"""

from collections.abc import Callable

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from clinic.core.models import IdempotencyKey


def _created_by(used: IdempotencyKey, *, action: str, actor):
    # A key is one user's, for one kind of write; anything else is not a retry.
    if used.action != action or used.actor_id != actor.pk:
        raise PermissionDenied("this submission key belongs to another form")
    model = apps.get_model(used.object_type)
    return model._default_manager.get(pk=used.object_id)


def once(key, *, action: str, actor, create: Callable):
    """Run `create()` once per key and return (record, created).

    Without a key (a form drawn before keys existed, a command) it simply runs. `create` must
    raise to refuse; its refusal rolls back the key too, so the corrected form may resend it.
    """
    if key is None:
        return create(), True
    used = IdempotencyKey.objects.filter(key=key).first()
    if used is not None:
        return _created_by(used, action=action, actor=actor), False
    try:
        with transaction.atomic():
            claim = IdempotencyKey.objects.create(key=key, action=action, actor=actor)
            record = create()
            claim.object_type, claim.object_id = record._meta.label_lower, str(record.pk)
            claim.save(update_fields=["object_type", "object_id"])
    except IntegrityError:
        used = IdempotencyKey.objects.filter(key=key).first()
        if used is None:
            raise  # not the key: the write itself broke a constraint
        return _created_by(used, action=action, actor=actor), False
    return record, True
