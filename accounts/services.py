from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext
from rest_framework.authtoken.models import Token

from .models import User


def api_token_get(*, user: User) -> Token | None:
    return Token.objects.filter(user=user).first()


@transaction.atomic
def api_token_rotate(*, user: User) -> Token:
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)


def user_update_profile(*, user: User, first_name: str, last_name: str) -> User:
    """Set the user's given and family name: both required, stripped, at most 150 characters,
    no control characters or line breaks. Saves only those two columns (and nothing when
    refused); raises ValidationError by field."""
    values = {"first_name": first_name.strip(), "last_name": last_name.strip()}
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        if not value:
            errors[name] = [gettext("This field is required.")]
            continue
        field = User._meta.get_field(name)
        assert isinstance(field, models.Field)
        try:
            field.clean(value, user)
        except ValidationError as exc:
            errors[name] = exc.messages
    if errors:
        raise ValidationError(errors)
    for name, value in values.items():
        setattr(user, name, value)
    user.save(update_fields=list(values))
    return user
