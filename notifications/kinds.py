"""The kinds of portal email, by the first part of their notification's key: which may be
turned off, and which may wait for the daily digest. A kind not listed here is mandatory."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class Kind:
    key: str
    label: StrOrPromise  # lazy: in the language of the page or email that shows it
    help: StrOrPromise
    mandatory: bool = False
    digest: bool = False  # a reviewer's or approver's email: may wait for the daily digest


KINDS: dict[str, Kind] = {
    k.key: k
    for k in [
        Kind("decision", _("The decision on your application"),
             _("Approved or not, with the reasons: always sent."), mandatory=True),
        Kind("receipt", _("Receipt of a submitted application"),
             _("The application's number and the date a decision is due.")),
        Kind("assigned", _("A new review assignment"), _("An application to review."),
             digest=True),
        Kind("reminder", _("A review due tomorrow"), _("A reminder of an open assignment."),
             digest=True),
        Kind("closed", _("A review assignment closed"),
             _("An assignment you no longer need to do."), digest=True),
        Kind("ready", _("An application ready for a decision"),
             _("Its reviews are in (site approvers)."), digest=True),
        Kind("overdue", _("An overdue decision"),
             _("A decision past its date (site approvers, staff)."), digest=True),
        Kind("attention", _("An application that needs attention"),
             _("One that could not be routed to reviewers (site approvers, staff)."), digest=True),
        Kind("change-request", _("A change request to decide"),
             _("An allocation's holder asks for a change (site approvers)."), digest=True),
    ]
}  # fmt: skip
# Never turned off, and never listed on the preferences page: sent by allauth, not here.
SECURITY_EMAILS = _("Address verification, password reset and other security notices: always sent.")
DIGEST = "digest"  # the daily digest's own kind: optional as a whole


def kind_of(key: str) -> str:
    return key.split(":", 1)[0]


def is_optional(kind: str) -> bool:
    known = KINDS.get(kind)
    return kind == DIGEST or (known is not None and not known.mandatory)


def may_wait_for_digest(kind: str) -> bool:
    known = KINDS.get(kind)
    return known is not None and known.digest


def optional_kinds() -> list[str]:
    return [k for k, kind in KINDS.items() if not kind.mandatory]
