"""The kinds of portal email, by the first part of their notification's key: which may be
turned off, and which may wait for the daily digest. A kind not listed here is mandatory."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    help: str
    mandatory: bool = False
    digest: bool = False  # a reviewer's or approver's email: may wait for the daily digest


KINDS: dict[str, Kind] = {
    k.key: k
    for k in [
        Kind("decision", "The decision on your application",
             "Approved or not, with the reasons: always sent.", mandatory=True),
        Kind("receipt", "Receipt of a submitted application",
             "The application's number and the date a decision is due."),
        Kind("assigned", "A new review assignment", "An application to review.", digest=True),
        Kind("reminder", "A review due tomorrow", "A reminder of an open assignment.",
             digest=True),
        Kind("closed", "A review assignment closed", "An assignment you no longer need to do.",
             digest=True),
        Kind("ready", "An application ready for a decision",
             "Its reviews are in (site approvers).", digest=True),
        Kind("overdue", "An overdue decision", "A decision past its date (site approvers, staff).",
             digest=True),
        Kind("attention", "An application that needs attention",
             "One that could not be routed to reviewers (site approvers, staff).", digest=True),
        Kind("change-request", "A change request to decide",
             "An allocation's holder asks for a change (site approvers).", digest=True),
    ]
}  # fmt: skip
# Never turned off, and never listed on the preferences page: sent by allauth, not here.
SECURITY_EMAILS = "Address verification, password reset and other security notices: always sent."
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
