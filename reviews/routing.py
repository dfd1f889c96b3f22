"""Who reviews an application: a pure function, no database and no Celery.

`route()` takes the application's facts and the site's reviewer pool (loaded by a selector) and
returns the reviewers chosen for each kind of review the access mode needs, who was excluded and
why, and any shortfall. The `application_route` service stores the result.

Order of preference among eligible reviewers: matching expertise first, then the fewest open
assignments, then the lowest user id (a stable tie-break).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Public mail providers: sharing one of these says nothing about a conflict of interest.
PUBLIC_EMAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "yahoo.com",
    "icloud.com", "me.com", "proton.me", "protonmail.com", "gmx.de", "gmx.net", "web.de",
    "mail.com", "aol.com", "yandex.com", "zoho.com", "tutanota.com", "posteo.de",
})  # fmt: skip

KINDS = ("technical", "scientific")
# The reason routing records for a reviewer the applicant asked to exclude (the call form).
EXCLUDED_BY_APPLICANT = "excluded at the applicant's request"


@dataclass(frozen=True)
class Candidate:
    user_id: int
    email: str
    kind: str  # "technical" or "scientific"
    expertise: frozenset[str] = frozenset()
    open_assignments: int = 0
    max_open_assignments: int = 10
    organisation_ids: frozenset[int] = frozenset()
    conflict_organisation_ids: frozenset[int] = frozenset()

    @property
    def email_domain(self) -> str:
        return self.email.rsplit("@", 1)[-1].lower()


@dataclass(frozen=True)
class ApplicationFacts:
    application_id: int
    factory_id: int
    organisation_id: int | None
    ai_domain: str
    applicant_user_id: int
    applicant_email: str
    team_emails: frozenset[str] = frozenset()
    needs: dict[str, int] = field(default_factory=dict)  # kind -> number of reviewers
    excluded_user_ids: frozenset[int] = frozenset()  # already asked (declined, or assigned)
    # Reviewers the applicant asked to exclude, by email (lower case): never assigned.
    applicant_excluded_emails: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Choice:
    user_id: int
    email: str
    kind: str
    open_assignments: int
    expertise_match: bool


@dataclass(frozen=True)
class Exclusion:
    user_id: int
    email: str
    kind: str
    reason: str


@dataclass
class RoutingResult:
    factory_id: int
    chosen: list[Choice]
    exclusions: list[Exclusion]
    candidates: list[int]
    shortfall: dict[str, int]

    @property
    def staffed(self) -> bool:
        return not any(self.shortfall.values())

    @property
    def reason(self) -> str:
        if self.staffed:
            return "; ".join(
                f"{c.kind} reviewer {c.email} ({c.open_assignments} open assignments"
                f"{', matching expertise' if c.expertise_match else ''})"
                for c in self.chosen
            )
        missing = ", ".join(f"{n} {kind}" for kind, n in self.shortfall.items() if n)
        return f"Not enough eligible reviewers at this site: missing {missing} reviewer(s)."


def _domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].lower()


def exclusion_reason(facts: ApplicationFacts, candidate: Candidate) -> str | None:
    """Why `candidate` may not review this application, or None."""
    if candidate.user_id == facts.applicant_user_id:
        return "is the applicant"
    if candidate.email.lower() in facts.applicant_excluded_emails:
        return EXCLUDED_BY_APPLICANT
    if candidate.user_id in facts.excluded_user_ids:
        return "already asked to review this application"
    if facts.organisation_id is not None:
        if facts.organisation_id in candidate.organisation_ids:
            return "member of the applicant's organisation"
        if facts.organisation_id in candidate.conflict_organisation_ids:
            return "declared a conflict of interest with the applicant's organisation"
    emails = {facts.applicant_email.lower(), *(e.lower() for e in facts.team_emails)}
    if candidate.email.lower() in emails:
        return "is a member of the project team"
    domain = candidate.email_domain
    if domain not in PUBLIC_EMAIL_DOMAINS and domain in {_domain(e) for e in emails}:
        return f"same email domain as the applicant or a team member ({domain})"
    if candidate.open_assignments >= candidate.max_open_assignments:
        return (
            f"at capacity ({candidate.open_assignments} of {candidate.max_open_assignments} "
            "open assignments)"
        )
    return None


def route(facts: ApplicationFacts, candidates: list[Candidate]) -> RoutingResult:
    """Choose reviewers for each kind of review the mode needs. Never the same person twice."""
    exclusions: list[Exclusion] = []
    eligible: dict[str, list[Candidate]] = {kind: [] for kind in KINDS}
    for candidate in candidates:
        reason = exclusion_reason(facts, candidate)
        if reason:
            exclusions.append(Exclusion(candidate.user_id, candidate.email, candidate.kind, reason))
        else:
            eligible.setdefault(candidate.kind, []).append(candidate)

    chosen: list[Choice] = []
    taken: set[int] = set()
    shortfall: dict[str, int] = {}
    for kind in KINDS:
        wanted = facts.needs.get(kind, 0)
        pool = sorted(
            eligible.get(kind, []),
            key=lambda c: (facts.ai_domain not in c.expertise, c.open_assignments, c.user_id),
        )
        for candidate in pool:
            if wanted == 0:
                break
            if candidate.user_id in taken:
                continue
            chosen.append(
                Choice(
                    candidate.user_id,
                    candidate.email,
                    kind,
                    candidate.open_assignments,
                    facts.ai_domain in candidate.expertise,
                )
            )
            taken.add(candidate.user_id)
            wanted -= 1
        shortfall[kind] = wanted
    return RoutingResult(
        factory_id=facts.factory_id,
        chosen=chosen,
        exclusions=exclusions,
        candidates=sorted({c.user_id for c in candidates}),
        shortfall=shortfall,
    )
