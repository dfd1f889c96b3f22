"""The cut-off rush's simulated people, for locust (started by bench/rush.py; not on its own).

Imports nothing of the portal: everybody talks HTTP to the server, as browsers and scripts do,
signed in with what bench/data.py made (a session cookie for the HTML pages, an API token for the
API), read from the JSON file named by RUSH_PEOPLE.

- Applicants (RUSH_APPLICANTS, one bench applicant each): create a draft through the API, save
  it again (PATCH), open the "Data & compliance" step of the form and upload a PDF there (the
  only way to attach one), see the review step, submit through the API, then look at their
  dashboard (the first view after a write). Then again, with a new draft.
- Reviewers (RUSH_REVIEWERS): open their desk, take the first open assignment, read it, accept it
  and record a review through the API.
- Visitors (RUSH_VISITORS): the public catalogue, anonymously.

Think time between steps: RUSH_THINK ("min,max" seconds). Request names group the URLs of all
applications under `[id]`, so the statistics are per page.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from datetime import UTC, datetime, timedelta
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path

from locust import HttpUser, between, task

PEOPLE = json.loads(Path(os.environ["RUSH_PEOPLE"]).read_text())
THINK = tuple(float(x) for x in os.environ.get("RUSH_THINK", "2,5").split(","))
_applicants = itertools.count()
_reviewers = itertools.count()
AI_DOMAINS = ["foundation_models", "health", "manufacturing", "climate", "cybersecurity", "other"]
ASSIGNMENT_LINK = re.compile(rb'href="/review/assignments/(\d+)/"')


def _pdf() -> bytes:
    """A small valid one-page PDF (with a correct cross-reference table)."""
    text = b"BT /F1 12 Tf 72 770 Td (Project description for the cut-off rush.) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return out


PDF = _pdf()


class _Person(HttpUser):
    abstract = True
    wait_time = between(*THINK)

    def on_start(self) -> None:
        # Cookies go in the headers below, never in the jar: the server's cookies are Secure
        # (production settings) and would not come back over http anyway.
        self.client.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))

    def _signed_in(self, person: dict) -> None:
        self.api = {"Authorization": person["Authorization"], "Accept": "application/json"}
        self.browser = {"Cookie": person["Cookie"]}


class Applicant(_Person):
    fixed_count = int(os.environ.get("RUSH_APPLICANTS", "100"))

    def on_start(self) -> None:
        super().on_start()
        self.me = PEOPLE["applicants"][next(_applicants) % len(PEOPLE["applicants"])]
        self._signed_in(self.me)
        self.browser["Cookie"] += f"; {PEOPLE['csrf_cookie']}={self.me['csrf']}"

    def _draft(self) -> dict:
        return {
            "organisation": self.me["organisation"],
            "access_mode": PEOPLE["access_mode"],
            "system": PEOPLE["system"],
            "title": "Fine-tuning a clinical language model",
            "abstract": "We fine-tune an open model on de-identified clinical notes.",
            # Routing prefers reviewers with the domain's expertise: spread like real requests.
            "ai_domain": random.choice(AI_DOMAINS),
            "workload": "fine_tuning",
            "gpu_hours": random.randint(1_000, 40_000),
            "start_date": (datetime.now(UTC).date() + timedelta(days=30)).isoformat(),
            "duration_months": 3,
            "data_sources": "Public clinical corpora.",
            "personal_data": False,
            "ai_act_risk": "minimal",
        }

    @task
    def apply(self) -> None:
        with self.client.post(
            "/api/v1/applications/", json=self._draft(), headers=self.api,
            name="POST /api/v1/applications/ (new draft)", catch_response=True,
        ) as response:  # fmt: skip
            if response.status_code != 201:
                response.failure(f"{response.status_code}: {response.text[:300]}")
                return
            pk = response.json()["id"]
        self.wait()

        self.client.patch(
            f"/api/v1/applications/{pk}/",
            json={"abstract": "We fine-tune an open model on de-identified clinical notes, "
                  "then evaluate it with clinicians.", "gpu_hours": random.randint(1_000, 40_000)},
            headers=self.api, name="PATCH /api/v1/applications/[id]/",
        )  # fmt: skip
        self.wait()

        step = f"/applications/{pk}/edit/data/"
        self.client.get(step, headers=self.browser, name="GET /applications/[id]/edit/data/")
        self.wait()
        form = {
            "csrfmiddlewaretoken": self.me["csrf"], "data_sources": "Public clinical corpora.",
            "data_licence": "CC BY 4.0", "personal_data": "no", "gdpr_basis": "",
            "ai_act_risk": "minimal", "go": "next",
        }  # fmt: skip
        with self.client.post(
            step, data=form, files={"attachment": ("description.pdf", PDF, "application/pdf")},
            headers=self.browser, allow_redirects=False, catch_response=True,
            name="POST /applications/[id]/edit/data/ (PDF)",
        ) as response:  # fmt: skip
            if response.status_code != 302 or "/edit/review/" not in response.headers.get(
                "Location", ""
            ):
                response.failure(f"{response.status_code}, not a redirect to the review step")
                return
        self.client.get(
            f"/applications/{pk}/edit/review/", headers=self.browser,
            name="GET /applications/[id]/edit/review/",
        )  # fmt: skip
        self.wait()

        with self.client.post(
            f"/api/v1/applications/{pk}/submit/", headers=self.api, catch_response=True,
            name="POST /api/v1/applications/[id]/submit/",
        ) as response:  # fmt: skip
            if response.status_code != 200:
                response.failure(f"{response.status_code}: {response.text[:300]}")
                return
        self.client.get("/applications/", headers=self.browser, name="GET /applications/")


class Reviewer(_Person):
    fixed_count = int(os.environ.get("RUSH_REVIEWERS", "10"))

    def on_start(self) -> None:
        super().on_start()
        self._signed_in(PEOPLE["reviewers"][next(_reviewers) % len(PEOPLE["reviewers"])])

    @task
    def review(self) -> None:
        desk = self.client.get("/review/", headers=self.browser, name="GET /review/")
        found = ASSIGNMENT_LINK.findall(desk.content) if desk.ok else []
        if not found:
            return
        pk = int(found[0])
        self.wait()
        self.client.get(
            f"/review/assignments/{pk}/", headers=self.browser,
            name="GET /review/assignments/[id]/",
        )  # fmt: skip
        self.client.post(
            f"/api/v1/assignments/{pk}/accept/", headers=self.api,
            name="POST /api/v1/assignments/[id]/accept/",
        )  # fmt: skip
        self.wait()
        note = "Feasible on the requested system with the stated software stack."
        self.client.post(
            f"/api/v1/assignments/{pk}/review/", headers=self.api,
            name="POST /api/v1/assignments/[id]/review/",
            json={
                "technical_feasibility": 4, "technical_feasibility_note": note,
                "ai_innovation": 3, "ai_innovation_note": note, "team_readiness": 4,
                "team_readiness_note": note, "resource_justification": 4,
                "resource_justification_note": note,
                "comment_for_applicant": "A well-prepared request.", "recommendation": "approve",
            },
        )  # fmt: skip


class Visitor(_Person):
    """Anonymous: no cookie, so the catalogue answers from its cache."""

    fixed_count = int(os.environ.get("RUSH_VISITORS", "20"))

    @task(3)
    def home(self) -> None:
        self.client.get("/", name="GET /")

    @task(2)
    def factories(self) -> None:
        self.client.get("/factories/", name="GET /factories/")

    @task(2)
    def factory(self) -> None:
        self.client.get("/factories/lumi-aif/", name="GET /factories/lumi-aif/")

    @task(1)
    def api(self) -> None:
        self.client.get("/api/v1/factories/", name="GET /api/v1/factories/")
