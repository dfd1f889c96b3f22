"""Checks of the values written to a draft (create and update), before anything is saved: they
raise ValidationError keyed by field."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from organisations.models import Membership

if TYPE_CHECKING:
    from accounts.models import User


def check_choices_belong_to_user(user: User, values: dict[str, Any]) -> None:
    """The organisation chosen for a draft is one `user` belongs to."""
    organisation = values.get("organisation")
    if (
        organisation is not None
        and not Membership.objects.filter(user=user, organisation=organisation).exists()
    ):
        raise ValidationError(
            {"organisation": [gettext("You are not a member of this organisation.")]}
        )


def check_start_date(values: dict[str, Any]) -> None:
    """A start date at most APPLICATION_START_HORIZON_DAYS ahead (a setting: 366 days)."""
    start = values.get("start_date")
    horizon = settings.APPLICATION_START_HORIZON_DAYS
    latest = timezone.localdate() + timedelta(days=horizon)
    if start is not None and start > latest:
        raise ValidationError(
            {
                "start_date": [
                    ngettext(
                        "The start date may be at most %(days)s day ahead "
                        "(on %(date)s at the latest).",
                        "The start date may be at most %(days)s days ahead "
                        "(on %(date)s at the latest).",
                        horizon,
                    )
                    % {"days": horizon, "date": latest.isoformat()}
                ]
            }
        )
