from __future__ import annotations

from django.db import transaction
from rest_framework.authtoken.models import Token


def api_token_get(*, user) -> Token | None:
    return Token.objects.filter(user=user).first()


@transaction.atomic
def api_token_rotate(*, user) -> Token:
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)
