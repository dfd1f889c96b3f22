"""How an application's status reads in lists: its label, badge and the applicant's next step.
Shared by the applicant's, the reviewer's and the approver's lists."""

from __future__ import annotations

from applications.models import ApplicationStatus
from portal.lists import NO_VALUE

__all__ = ["NEXT_STEP_TEXT", "NO_VALUE", "OTHER_BADGE", "STATUS_BADGE", "STATUS_LABELS"]

STATUS_LABELS: dict[str, str] = dict(ApplicationStatus.choices)

STATUS_BADGE: dict[str, str] = {
    ApplicationStatus.DRAFT: "text-bg-light border",
    ApplicationStatus.NEEDS_ATTENTION: "text-bg-warning",
    ApplicationStatus.APPROVED: "text-bg-success",
    ApplicationStatus.REJECTED: "text-bg-danger",
    ApplicationStatus.WITHDRAWN: "text-bg-secondary",
}
OTHER_BADGE = "text-bg-primary"

NEXT_STEP_TEXT: dict[str, str] = {
    ApplicationStatus.DRAFT: "Complete the form and submit it.",
    ApplicationStatus.SUBMITTED: "The AI Factory is assigning reviewers.",
    ApplicationStatus.UNDER_REVIEW: "Reviewers at the AI Factory are assessing it.",
    ApplicationStatus.NEEDS_ATTENTION: "The AI Factory's staff are finding reviewers.",
    ApplicationStatus.APPROVED: "Approved: see the decision.",
    ApplicationStatus.REJECTED: "Not approved: see the decision.",
    ApplicationStatus.WITHDRAWN: "Withdrawn: nothing more will happen.",
}
