"""The portal's user: identified by email address (no username)."""

from __future__ import annotations

import unicodedata
from typing import ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

# Characters a name never holds: controls (line breaks, tabs, NUL), line and paragraph separators,
# surrogates, private use and unassigned code points; and the bidirectional overrides and
# isolates, which make a name display as something else (in letters, emails, admin lists).
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Co", "Cn", "Zl", "Zp"})
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def validate_person_name(value: str) -> None:
    """Refuse a given or family name with a control character or a line break in it."""
    if any(c in _BIDI_CONTROLS or unicodedata.category(c) in _REFUSED_CATEGORIES for c in value):
        raise ValidationError(
            _("Use letters, spaces and punctuation only: no line breaks or control characters."),
            code="control_character",
        )


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        if not (extra["is_staff"] and extra["is_superuser"]):
            raise ValueError("A superuser must have is_staff and is_superuser set.")
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    username = None  # type: ignore[assignment]  # Django's way to drop a field
    email = models.EmailField(_("email address"), unique=True)
    # Blank only for accounts made before names were asked for (and by `createsuperuser`): the
    # sign-up and profile forms require both. At most AbstractUser's 150 characters each.
    first_name = models.CharField(
        _("given name"), max_length=150, blank=True, validators=[validate_person_name]
    )
    last_name = models.CharField(
        _("family name"), max_length=150, blank=True, validators=[validate_person_name]
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    # Kept by portal.permissions for the request: the user's active (role, factory id) pairs.
    _portal_site_roles: list[tuple[str, int]]

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]  # stubs want auth's username manager

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    @property
    def email_domain(self) -> str:
        return self.email.rsplit("@", 1)[-1].lower()
