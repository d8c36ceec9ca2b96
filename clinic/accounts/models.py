"""Staff accounts: e-mail login, roles as groups, membership of one or both sites."""

import uuid
from functools import cached_property

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.accounts.roles import CLINICAL_ROLES, Role

# The actor of background jobs and commands that run without a person; it cannot sign in.
SYSTEM_EMAIL = "system@clinic.invalid"
# Shown wherever the system actor is named (history rows, alerts), in the reader's language.
SYSTEM_NAME = _("System")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **fields):
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)

    def system_actor(self):
        """The named actor of background jobs and commands run without a person."""
        user, _ = self.get_or_create(
            email=SYSTEM_EMAIL,
            defaults={"full_name": "System", "is_active": False, "password": "!"},
        )
        return user


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: a member of staff at one or both sites."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(_("e-mail"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200)
    sites = models.ManyToManyField(
        "locations.Site", blank=True, related_name="staff", verbose_name=_("sites")
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(default=False)  # Django admin is not used; kept for the API
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["full_name", "email"]

    def __str__(self):
        return str(self.full_name or self.email)

    @classmethod
    def from_db(cls, db, field_names, values, **kwargs):
        user = super().from_db(db, field_names, values, **kwargs)
        # The stored name is English; pages name the system actor in their own language.
        if user.__dict__.get("email") == SYSTEM_EMAIL:
            user.full_name = SYSTEM_NAME
        return user

    def get_full_name(self):
        return self.full_name

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @cached_property
    def role_names(self) -> frozenset[str]:
        return frozenset(group.name for group in self.groups.all())

    @property
    def roles(self) -> list[Role]:
        return [role for role in Role if role.value in self.role_names]

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_names.intersection(roles))

    @property
    def is_clinical(self) -> bool:
        return bool(self.role_names & CLINICAL_ROLES)

    @cached_property
    def all_sites(self) -> list:
        """The sites this person is attached to, active or not, read once per user object
        (for the signed-in user: once per request, shared by the menu, switcher and checks)."""
        return list(self.sites.all())

    @cached_property
    def site_ids(self) -> frozenset[int]:
        return frozenset(site.pk for site in self.all_sites)
