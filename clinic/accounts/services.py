"""Writes on staff accounts. Each one audits itself in the same transaction."""

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.core.audit import audit
from clinic.core.models import OutboxMessage
from clinic.core.outbox import enqueue_message
from clinic.core.public_url import public_url


def ensure_roles(**kwargs) -> None:
    """Create the role groups that do not exist yet (runs after every migrate)."""
    for role in Role:
        Group.objects.get_or_create(name=role.value)


def _set_roles_and_sites(user: User, roles, sites) -> None:
    user.groups.set(Group.objects.filter(name__in=[str(r) for r in roles]))
    user.sites.set(sites)
    user.__dict__.pop("role_names", None)
    user.__dict__.pop("site_ids", None)


def invitation_link(user: User) -> str:
    path = reverse(
        "account_reset_password_from_key",
        kwargs={
            "uidb36": user_pk_to_url_str(user),
            "key": default_token_generator.make_token(user),
        },
    )
    return public_url(path)


@transaction.atomic
def create_staff_user(*, email, full_name, roles, sites, actor, language="uk") -> User:
    """Open an account and e-mail the person a link to choose their password.

    The e-mail address is vouched for by the administrator, so it is recorded as verified
    (allauth requires that before a second factor can be set up).
    """
    user = User.objects.create_user(email=email, full_name=full_name, password=None)
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    _set_roles_and_sites(user, roles, sites)
    with translation.override(language):
        enqueue_message(
            channel=OutboxMessage.Channel.EMAIL,
            recipient=user.email,
            subject=_("Your account at the clinic"),
            body=_(
                "Hello, %(name)s.\n\nAn account has been opened for you. Choose your password "
                "here (the link works once):\n%(link)s\n\nAfter that you will set up a "
                "one-time code app (two-factor authentication)."
            )
            % {"name": user.full_name, "link": invitation_link(user)},
            carries_secret=True,
        )
    audit(actor, "staff.created", obj=user, reason=", ".join(sorted(str(r) for r in roles)))
    return user


@transaction.atomic
def change_staff_user(user: User, *, full_name, roles, sites, actor) -> User:
    """Change a colleague's name, roles and sites."""
    user.full_name = full_name
    user.save(update_fields=["full_name"])
    _set_roles_and_sites(user, roles, sites)
    audit(actor, "staff.changed", obj=user, reason=", ".join(sorted(user.role_names)))
    return user


def end_sessions(user: User) -> int:
    """Delete every live session of the user; returns how many.

    Sessions expire after 15 idle minutes, so the live set is small and decoding each is cheap.
    """
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()
            ended += 1
    return ended


@transaction.atomic
def deactivate_user(user: User, *, reason: str, actor) -> User:
    """Stop a colleague from signing in, and end the sessions they have open now."""
    user.is_active = False
    user.save(update_fields=["is_active"])
    end_sessions(user)
    audit(actor, "staff.deactivated", obj=user, reason=reason)
    return user


@transaction.atomic
def reactivate_user(user: User, *, actor) -> User:
    """Let a deactivated colleague sign in again."""
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit(actor, "staff.reactivated", obj=user)
    return user
