"""Every main page, for each role, has no serious or critical accessibility violation according to
axe-core 4.11 (vendored in static/vendor/axe-core/), and the application form can be completed
with the keyboard alone.

Left out, being third-party markup the portal does not write: `/api/docs/` (Swagger UI from
drf-spectacular; axe reports `html-has-lang` on its page template) and the Django admin (axe
reports `link-in-text-block` on change pages). Staff and reviewers are signed in with a session
cookie: the login form and its second factor are exercised by tests/portal/test_security.py.
"""

# The applicant and review fixtures of tests/ are imported by name (pytest then
# finds them here); each test that takes one as an argument "redefines" it for ruff.
# ruff: noqa: F811

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect

from applications import services
from applications.models import Application, ApplicationStatus
from reviews.services import decisions as review_services
from tests.fixtures.applicants import (  # noqa: F401
    _mode_rows,
    alice,
    alice_org,
    complete_values,
    lumi,
    modes,
)
from tests.fixtures.reviews import (  # noqa: F401
    celery_eager,
    review,
    site_x,
    submit_application,
)
from tests.model_factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = "/static/vendor/axe-core/axe.min.js"
BLOCKING = ("serious", "critical")

RUN_AXE = """async () => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return {
    passed: results.passes.length,
    violations: results.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map(n => ({target: n.target.join(" "), impact: n.impact,
                                html: n.html.slice(0, 160)})),
    })),
  };
}"""


@dataclass
class World:
    """Everybody and every kind of page, at LUMI AI Factory."""

    alice: Any
    tess: Any  # technical reviewer
    paula: Any  # site approver
    sam: Any  # staff
    draft: Application
    decided: Application
    ready: Application  # under review, reviews complete: the approver's decision form
    open_assignment: Any  # Tess's pending assignment


@pytest.fixture
def world(alice, alice_org, complete_values, site_x, submit_application, celery_eager):
    draft = services.application_create(applicant=alice, **complete_values)
    services.team_members_set(
        application=draft,
        actor=alice,
        members=[{"name": "Alice Applicant", "email": "alice@example.org", "role": "PI"}],
    )
    tess = site_x.technical[0]
    # Routing runs at submit (Celery is eager here): Fast Lane needs one technical review, and
    # Tess (health expertise, fewest open assignments) gets it.
    decided = submit_application(title="Clinical language model")
    review(decided.assignments.get())
    review_services.application_decide(
        application=decided,
        approver=site_x.approver,
        outcome="approve",
        gpu_hours=800,
        comment="A clear plan; fewer GPU-hours suffice for the first phase.",
    )
    ready = submit_application(title="Protein structure search")
    review(ready.assignments.get())
    waiting = submit_application(title="Radiology report summarisation")
    sam = UserFactory(email="sam@example.org", is_staff=True, is_superuser=True)
    TOTP.activate(sam, generate_totp_secret())
    for application in (decided, ready, waiting):
        application.refresh_from_db()
    assert decided.status == ApplicationStatus.APPROVED
    assert ready.status == waiting.status == ApplicationStatus.UNDER_REVIEW
    return World(
        alice=alice,
        tess=tess,
        paula=site_x.approver,
        sam=sam,
        draft=draft,
        decided=decided,
        ready=ready,
        open_assignment=waiting.assignments.get(reviewer=tess),
    )


def sign_in(context: BrowserContext, base_url: str, user) -> None:
    """The browser gets the session of a user signed in with the test client (as if they had
    passed the login form and, for staff and reviewers, the second factor)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": base_url}]
    )


def axe_violations(page: Page, base_url: str, path: str) -> list[dict]:
    response = page.goto(base_url + path)
    status = 404 if "no-such" in path else 200
    assert response is not None and response.status == status, f"{path}: {response.status}"
    return run_axe(page, base_url)


def run_axe(page: Page, base_url: str) -> list[dict]:
    # Loaded from the portal's own origin, so the page's Content-Security-Policy allows it.
    page.add_script_tag(url=base_url + AXE)
    results = page.evaluate(RUN_AXE)
    assert results["passed"] > 10, "axe-core did not run its rules"
    return results["violations"]


def check_pages(browser, base_url: str, user, pages: dict[str, str]) -> None:
    """Runs axe on each page as `user` (None: anonymous); fails listing every serious or
    critical violation with its rule, impact and the selectors of the elements at fault."""
    context = browser.new_context()
    try:
        if user is not None:
            sign_in(context, base_url, user)
        page = context.new_page()
        csp_errors: list[str] = []
        page.on(
            "console",
            lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None,
        )
        problems = []
        for name, path in pages.items():
            violations = axe_violations(page, base_url, path)
            problems += [f"{name} ({path}): blocked by the CSP: {e}" for e in csp_errors]
            csp_errors.clear()
            blocking = [v for v in violations if v["impact"] in BLOCKING]
            line = (
                f"{name} ({path}): {len(blocking)} serious/critical, "
                f"{len(violations) - len(blocking)} other"
            )
            print(line)  # shown with -s: the counts per page
            for v in blocking:
                targets = "; ".join(n["target"] for n in v["nodes"][:8])
                problems.append(
                    f"{name} ({path}): {v['id']} [{v['impact']}] {v['help']}: {targets}"
                )
        assert not problems, "axe-core found:\n" + "\n".join(problems)
    finally:
        context.close()


def test_public_pages_are_accessible(live_server, browser, catalogue):
    check_pages(
        browser,
        live_server.url,
        None,
        {
            "home": "/",
            "factory list": "/factories/",
            "factory list, filtered": "/factories/?country=FI&kind=supercomputer",
            "factory detail": "/factories/lumi-aif/",
            "system detail": "/systems/lumi/",
            "login": "/accounts/login/",
            "sign-up": "/accounts/signup/",
            "password reset": "/accounts/password/reset/",
            "not found": "/factories/no-such-factory/",
        },
    )


def test_the_menus_are_accessible_open_and_on_a_narrow_screen(live_server, browser, world):
    """The collapsed navigation of a phone-sized screen, opened, and the user menu, opened."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    sign_in(context, live_server.url, world.alice)
    page = context.new_page()
    problems = []
    page.goto(live_server.url + "/applications/")
    states = {"collapsed": None, "navigation open": "Toggle navigation"}
    states["user menu open"] = str(world.alice)  # her name, or her email without one
    for state, control in states.items():
        if control is not None:
            page.get_by_role("button", name=control).or_(
                page.get_by_role("link", name=control)
            ).click()
            expect(page.locator(".navbar [aria-expanded='true']").last).to_be_visible()
        for v in run_axe(page, live_server.url):
            if v["impact"] in BLOCKING:
                targets = "; ".join(n["target"] for n in v["nodes"][:8])
                problems.append(f"{state}: {v['id']} [{v['impact']}]: {targets}")
    context.close()
    assert not problems, "axe-core found:\n" + "\n".join(problems)


def test_applicant_pages_are_accessible(live_server, browser, world):
    draft, decided = world.draft.pk, world.decided.pk
    check_pages(
        browser,
        live_server.url,
        world.alice,
        {
            "dashboard": "/applications/",
            "organisation form": "/applications/organisations/new/",
            "step 1, organisation": f"/applications/{draft}/edit/organisation/",
            "step 2, project": f"/applications/{draft}/edit/project/",
            "step 3, resources": f"/applications/{draft}/edit/resources/",
            "step 4, data & compliance": f"/applications/{draft}/edit/data/",
            "step 5, review & submit": f"/applications/{draft}/edit/review/",
            "application detail": f"/applications/{decided}/",
            "decision letter": f"/applications/{decided}/letter/",
            "API token": "/me/api-token/",
            "two-factor authentication": "/accounts/2fa/",
        },
    )


def test_form_errors_are_accessible(live_server, browser, world):
    """The same pages in their error state (what an applicant sees after a mistake)."""
    context = browser.new_context()
    sign_in(context, live_server.url, world.alice)
    page = context.new_page()
    problems = []
    for path, button in [
        ("/applications/organisations/new/", "Save organisation"),
        (f"/applications/{world.draft.pk}/edit/resources/", "Save draft"),
    ]:
        page.goto(live_server.url + path)
        if "resources" in path:
            page.get_by_label("GPU-hours", exact=True).fill("-5")
        page.get_by_role("button", name=button).click()
        expect(page.locator(".invalid-feedback").first).to_be_visible()
        for v in run_axe(page, live_server.url):
            if v["impact"] in BLOCKING:
                targets = "; ".join(n["target"] for n in v["nodes"][:8])
                problems.append(f"{path} with errors: {v['id']} [{v['impact']}]: {targets}")
    context.close()
    assert not problems, "axe-core found:\n" + "\n".join(problems)


def test_reviewer_pages_are_accessible(live_server, browser, world):
    check_pages(
        browser,
        live_server.url,
        world.tess,
        {
            "review desk": "/review/",
            "review desk, all": "/review/?status=",
            "assignment": f"/review/assignments/{world.open_assignment.pk}/",
        },
    )


def test_approver_pages_are_accessible(live_server, browser, world):
    check_pages(
        browser,
        live_server.url,
        world.paula,
        {
            "desk with site applications": "/review/",
            "site application with decision form": f"/review/applications/{world.ready.pk}/",
            "decided site application": f"/review/applications/{world.decided.pk}/",
            "capacity": "/review/capacity/",
        },
    )


def test_staff_pages_are_accessible(live_server, browser, world):
    check_pages(
        browser,
        live_server.url,
        world.sam,
        {"deadlines per factory": "/review/stats/", "capacity": "/review/capacity/"},
    )


# --- The keyboard alone ---------------------------------------------------------------------------


def focused(page: Page) -> dict[str, Any]:
    """What has the keyboard focus: tag, type, name, label, text, and whether it is visible."""
    return page.evaluate(
        """() => {
          const el = document.activeElement;
          const label = el.labels && el.labels.length ? el.labels[0].innerText.trim() : "";
          return {tag: el.tagName.toLowerCase(), type: el.type || "", name: el.name || "",
                  label, text: (el.innerText || el.value || "").trim(),
                  visible: el.checkVisibility()};
        }"""
    )


def tab_to(page: Page, *, max_presses: int = 60, backwards: bool = False, **want: str) -> None:
    """Press Tab (or Shift+Tab) until the focused element matches every `want` item."""
    key = "Shift+Tab" if backwards else "Tab"
    seen = []
    for _ in range(max_presses):
        page.keyboard.press(key)
        now = focused(page)
        seen.append(now)
        assert now["visible"], f"the keyboard focus went to an invisible element: {now}"
        if all(now.get(k) == v for k, v in want.items()):
            return
    raise AssertionError(f"Tab never reached {want}; focus went through {seen}")


def type_into(page: Page, text: str, **want: str) -> None:
    tab_to(page, **want)
    page.keyboard.type(text)


def choose_option(page: Page, label: str, **want: str) -> None:
    """In a focused <select>, move with the arrow keys to the option `label`."""
    tab_to(page, **want)
    options = page.evaluate("() => [...document.activeElement.options].map(o => o.text.trim())")
    target = options.index(label)
    current = page.evaluate("() => document.activeElement.selectedIndex")
    key = "ArrowDown" if target > current else "ArrowUp"
    for _ in range(abs(target - current)):
        page.keyboard.press(key)
    assert page.evaluate("() => document.activeElement.selectedOptions[0].text.trim()") == label


def type_date(page: Page, value, **want: str) -> None:
    """Type a date into Chromium's date field, whose order of day and month follows the
    browser's language: a first probe tells which, Shift+Tab goes back to the first part."""
    tab_to(page, **want)
    page.keyboard.type("01022030")
    probe = page.evaluate("() => document.activeElement.value")
    assert probe in ("2030-02-01", "2030-01-02"), probe
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.type(value.strftime("%d%m%Y" if probe == "2030-02-01" else "%m%d%Y"))
    assert page.evaluate("() => document.activeElement.value") == value.isoformat()


def press_button(page: Page, text: str, key: str = "Enter") -> None:
    tab_to(page, tag="button", text=text)
    page.keyboard.press(key)


def test_an_applicant_completes_the_form_with_the_keyboard_alone(
    live_server,
    page: Page,
    modes,
    alice,
    alice_org,
    site_x,
):
    base = live_server.url
    start = timezone.localdate() + timedelta(days=10)
    sign_in(page.context, base, alice)
    page.goto(base + "/applications/")

    # The dashboard: skip link first, then the navigation, then "New application".
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Skip to content"
    press_button(page, "New application")
    expect(page.locator('[aria-current="step"]')).to_have_text("1. Organisation")

    # 1. Organisation and access mode: a select, then a radio group walked with the arrows.
    choose_option(page, "Alice AI GmbH", name="organisation")
    page.keyboard.press("Tab")  # into the radio group, on its first option
    assert focused(page)["name"] == "access_mode"
    for _ in range(8):
        if focused(page)["label"].startswith("Fast Lane"):  # the label goes on with its rules
            break
        page.keyboard.press("ArrowDown")
    assert focused(page)["label"].startswith("Fast Lane")
    page.keyboard.press("Space")
    press_button(page, "Next")
    expect(page.locator('[aria-current="step"]')).to_have_text("2. Project")

    # 2. Project and team. Enter in a text field submits the form, and goes forward.
    type_into(page, "Keyboard-only language model", name="title")
    type_into(page, "We fine-tune a small model, driven from the keyboard.", name="abstract")
    choose_option(page, "Health", name="ai_domain")
    choose_option(page, "Fine-tuning", name="workload")
    type_into(page, "Alice Applicant", name="team-0-name")
    type_into(page, "alice@example.org", name="team-0-email")
    page.keyboard.press("Enter")
    expect(page.locator('[aria-current="step"]')).to_have_text("3. Resources")

    # 3. Resources; Shift+Tab back to a field already passed, to correct it.
    tab_to(page, name="system")  # a radio group of the systems that can take it: walk it
    for _ in range(30):
        if focused(page)["label"].startswith("LUMI"):
            break
        page.keyboard.press("ArrowDown")
    assert focused(page)["label"].startswith("LUMI")
    page.keyboard.press("Space")
    type_into(page, "100", name="gpu_hours")
    tab_to(page, name="start_date")
    tab_to(page, name="gpu_hours", backwards=True)
    page.keyboard.press("Control+A")
    page.keyboard.type("1200")
    type_date(page, start, name="start_date")
    choose_option(page, "2 months", name="duration_months")
    press_button(page, "Next")
    expect(page.locator('[aria-current="step"]')).to_have_text("4. Data & compliance")

    # 4. Data & compliance.
    type_into(page, "Public clinical notes (synthetic)", name="data_sources")
    tab_to(page, name="personal_data")
    for _ in range(4):
        if focused(page)["label"] == "No":
            break
        page.keyboard.press("ArrowDown")
    assert focused(page)["label"] == "No"
    page.keyboard.press("Space")
    choose_option(page, "Minimal risk", name="ai_act_risk")
    press_button(page, "Next", key="Space")
    expect(page.locator('[aria-current="step"]')).to_have_text("5. Review & submit")
    problems = page.locator(".alert-warning")
    assert problems.count() == 0, problems.all_inner_texts()

    # 5. Review and submit.
    press_button(page, "Submit application")
    expect(page.get_by_text("Your application was submitted.")).to_be_visible()
    # Submitted, or already routed if a worker (or eager Celery) was quick.
    expect(page.locator(".lead .badge")).to_have_text(
        re.compile("^(Submitted|Under review|Needs attention)$")
    )
    application = Application.objects.get(title="Keyboard-only language model")
    assert application.status != ApplicationStatus.DRAFT
    assert (application.gpu_hours, application.start_date) == (1200, start)
    assert (application.access_mode.slug, application.system.slug) == ("fast-lane", "lumi")
    assert application.personal_data is False
    assert list(application.team_members.values_list("email", flat=True)) == ["alice@example.org"]
