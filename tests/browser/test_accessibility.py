"""Every page of the portal (tests/browser/pages.py lists them by role, and a test here checks
that the list covers every URL), in English and in German, on a desktop screen and on a phone's,
has no serious or critical violation of WCAG 2.1 A/AA according to axe-core 4.11 (vendored in
static/vendor/axe-core/), names its language in `<html lang>`, and gives every form control a
label of its own; and the application form can be completed with the keyboard alone.

Left out: the Django admin (third-party markup the portal does not write; axe reports
`link-in-text-block` on change pages). Staff and reviewers are signed in with a session cookie:
the login form and its second factor are exercised by tests/portal/test_security.py.
"""

# The applicant and review fixtures of tests/ are imported by name (pytest then
# finds them here); each test that takes one as an argument "redefines" it for ruff.
# ruff: noqa: F811

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from playwright.sync_api import Page, expect

from applications.models import Application, ApplicationStatus
from tests.browser.pages import NOT_PAGES, PAGES, ROLES, World, sign_in, world  # noqa: F401
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
    site_x,
    submit_application,
)

browser_test = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = "/static/vendor/axe-core/axe.min.js"
BLOCKING = ("serious", "critical")
LANGUAGES = ("en", "de")
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}

# WCAG 2.1 A and AA only (axe's best-practice rules are advice, and cost time on every page).
RUN_AXE = """async () => {
  const results = await axe.run(document, {
    resultTypes: ["violations"],
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
  });
  return {
    passed: results.passes.length,
    violations: results.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map(n => ({target: n.target.join(" "), impact: n.impact,
                                html: n.html.slice(0, 160)})),
    })),
  };
}"""

# Two controls of one form with the same visible label cannot be told apart by somebody who
# hears the labels read out, unless each sits in its own fieldset whose legend says which.
SAME_LABELS = """() => {
  const name = el => {
    if (el.labels && el.labels.length) return el.labels[0].innerText.trim();
    if (el.getAttribute("aria-labelledby")) {
      return el.getAttribute("aria-labelledby").split(" ")
        .map(id => (document.getElementById(id) || {innerText: ""}).innerText.trim()).join(" ");
    }
    return (el.getAttribute("aria-label") || "").trim();
  };
  const found = [];
  for (const form of document.querySelectorAll("form")) {
    const seen = new Map();
    const controls = form.querySelectorAll(
      "input:not([type=hidden]):not([type=submit]):not([type=button]):not([type=radio]), " +
      "select, textarea");
    for (const el of controls) {
      if (!el.checkVisibility()) continue;
      const legends = [];
      for (let f = el.closest("fieldset"); f; f = f.parentElement.closest("fieldset")) {
        const legend = f.querySelector(":scope > legend");
        legends.push(legend ? legend.innerText.trim() : "");
      }
      const key = legends.join(" / ") + " | " + name(el);
      if (seen.has(key)) found.push(`${name(el) || "(no label)"}: ${seen.get(key)} and ${el.name}`);
      else seen.set(key, el.name);
    }
  }
  return found;
}"""


def run_axe(page: Page, base_url: str) -> list[dict]:
    # Loaded from the portal's own origin, so the page's Content-Security-Policy allows it.
    page.add_script_tag(url=base_url + AXE)
    results = page.evaluate(RUN_AXE)
    assert results["passed"] > 5, "axe-core did not run its rules"
    return results["violations"]


def blocking(violations: list[dict], where: str) -> list[str]:
    """One line per serious or critical violation: the rule, its impact and the selectors of
    (up to eight of) the elements at fault."""
    return [
        f"{where}: {v['id']} [{v['impact']}] {v['help']}: "
        + "; ".join(n["target"] for n in v["nodes"][:8])
        for v in violations
        if v["impact"] in BLOCKING
    ]


def url_names() -> set[str]:
    """Every named URL of portal.urls outside the admin and the API (namespaced as `reverse`
    takes them)."""

    def walk(patterns, prefix: str, namespace: str):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern) and p.name:
                yield prefix + str(p.pattern), namespace + p.name

    return {
        name
        for route, name in walk(get_resolver().url_patterns, "", "")
        if not route.startswith(("admin/", "api/", "^api/")) or name == "api-docs"
    }


def test_every_page_of_the_portal_is_in_the_list_of_pages_checked():
    """A new page fails this test until it is added to tests/browser/pages.py (or, when it is
    no page of its own, to NOT_PAGES with the reason)."""
    listed = {p.url_name for pages in PAGES.values() for p in pages}
    assert set(PAGES) == set(ROLES)
    assert not listed & set(NOT_PAGES), "both checked and excused"
    missing = url_names() - listed - set(NOT_PAGES)
    assert not missing, f"pages nobody checks (add them to tests/browser/pages.py): {missing}"
    gone = (listed | set(NOT_PAGES)) - url_names()
    assert not gone, f"listed but no longer a URL: {gone}"


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_api_documentation_names_its_language(client, language):
    """Swagger UI's page (drf-spectacular's template, overridden) says which language it is in,
    as every portal page does, and keeps to the CSP (no inline style or script)."""
    response = client.get("/api/docs/", headers={"accept-language": language})
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<html lang="{language}">' in html
    assert "<style" not in html and not re.search(r"<script(?![^>]*\bsrc=)", html)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_every_page_is_accessible_in_english_and_german_on_desktop_and_phone(
    live_server, browser, world
):
    """Each role's pages, in one browser context per role (signed in once), in each language
    (Accept-Language) and on each screen size: lang, axe-core, labels, the CSP."""
    base = live_server.url
    users = {
        "anonymous": None,
        "applicant": world.alice,
        "reviewer": world.tess,
        "approver": world.paula,
        "staff": world.sam,
    }
    problems: list[str] = []
    csp_errors: list[str] = []
    for role in ROLES:
        context = browser.new_context()
        if users[role] is not None:
            sign_in(context, base, users[role])
        page = context.new_page()
        page.on(
            "console",
            lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None,
        )
        for language in LANGUAGES:
            context.set_extra_http_headers({"Accept-Language": language})
            for screen, size in VIEWPORTS.items():
                page.set_viewport_size(size)
                for portal_page in PAGES[role]:
                    path = portal_page.path(world)
                    where = f"{role}, {language}, {screen}: {portal_page.label} ({path})"
                    response = page.goto(base + path)
                    assert response is not None
                    if response.status != portal_page.status:
                        problems.append(f"{where}: HTTP {response.status}")
                        continue
                    if portal_page.ready:
                        page.wait_for_selector(portal_page.ready)
                    lang = page.evaluate("() => document.documentElement.lang")
                    if lang.split("-")[0] != language:
                        problems.append(f"{where}: <html lang={lang!r}>, not {language!r}")
                    violations = run_axe(page, base)
                    problems += blocking(violations, where)
                    print(where, len(violations))  # shown with -s: the counts per page
                    twice = page.evaluate(SAME_LABELS)
                    problems += [f"{where}: same label twice: {s}" for s in twice]
                    problems += [f"{where}: blocked by the CSP: {e}" for e in csp_errors]
                    csp_errors.clear()
        context.close()
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_menus_are_accessible_open_and_on_a_narrow_screen(live_server, browser, world):
    """The collapsed navigation of a phone-sized screen, opened, and the user menu, opened."""
    context = browser.new_context(viewport=VIEWPORTS["phone"])
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
        problems += blocking(run_axe(page, live_server.url), state)
    context.close()
    assert not problems, "axe-core found:\n" + "\n".join(problems)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
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
        problems += blocking(run_axe(page, live_server.url), f"{path} with errors")
    context.close()
    assert not problems, "axe-core found:\n" + "\n".join(problems)


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


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
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
