"""Every page of the portal on a phone's screen (390 by 844 px): the page itself never scrolls
sideways, and every table's content can be reached: each cell is on the screen, or inside a
region that scrolls sideways and that the keyboard can focus, with a name for screen readers.
The factory list reflows (one block per factory, each value under its column's name)."""

# ruff: noqa: F811

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.pages import PAGES, ROLES, sign_in, world  # noqa: F401
from tests.fixtures.applicants import (  # noqa: F401
    _mode_rows,
    alice,
    alice_org,
    complete_values,
    lumi,
    modes,
)
from tests.fixtures.reviews import celery_eager, site_x, submit_application  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}

# Cells neither on the screen nor in a scrolling region that is focusable and named, and the
# scrolling regions without their tabindex, role or name.
UNREACHABLE = """() => {
  const width = window.innerWidth;
  const found = [];
  document.querySelectorAll("table").forEach((table, t) => {
    if (!table.checkVisibility() || table.closest(".visually-hidden")) return;
    const name = table.caption ? table.caption.innerText.trim() : `table ${t + 1}`;
    let region = null;
    for (let el = table.parentElement; el; el = el.parentElement) {
      if (["auto", "scroll"].includes(getComputedStyle(el).overflowX)) { region = el; break; }
    }
    const scrolls = region && region.scrollWidth > region.clientWidth;
    if (scrolls) {
      const named = region.getAttribute("aria-label") || region.getAttribute("aria-labelledby");
      if (region.tabIndex < 0 || region.getAttribute("role") !== "region" || !named) {
        found.push(`${name}: scrolls in a region without tabindex="0", role="region" and a name`);
      }
      return;
    }
    for (const cell of table.querySelectorAll("th, td")) {
      if (!cell.checkVisibility() || cell.closest("thead.visually-hidden")) continue;
      const box = cell.getBoundingClientRect();
      if (box.width > 0 && (box.left < -1 || box.right > width + 1)) {
        found.push(`${name}: "${cell.innerText.trim().slice(0, 40)}" is off the screen`);
        break;
      }
    }
  });
  return found;
}"""


def test_no_page_scrolls_sideways_on_a_phone_and_every_table_can_be_read(
    live_server, browser, world
):
    base = live_server.url
    users = {
        "anonymous": None,
        "applicant": world.alice,
        "reviewer": world.tess,
        "approver": world.paula,
        "staff": world.sam,
    }
    problems: list[str] = []
    for role in ROLES:
        context = browser.new_context(viewport=PHONE)
        if users[role] is not None:
            sign_in(context, base, users[role])
        page = context.new_page()
        for portal_page in PAGES[role]:
            path = portal_page.path(world)
            where = f"{role}: {portal_page.label} ({path})"
            page.goto(base + path)
            if portal_page.ready:
                page.wait_for_selector(portal_page.ready)
            width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
            if width[0] > width[1]:
                problems.append(
                    f"{where}: the page is {width[0]} px wide on a {width[1]} px screen"
                )
            problems += [f"{where}: {p}" for p in page.evaluate(UNREACHABLE)]
        context.close()
    assert not problems, "\n".join(problems)


def test_the_factory_list_reflows_on_a_phone(live_server, page, catalogue):
    """One block per factory: its name, then each value under its column's name; no sideways
    scrolling inside the table either."""
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/factories/")
    table = page.locator("table.table-reflow")
    assert table.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth")
    row = table.locator("tbody tr").first
    name, where = row.locator("th"), row.locator("td").first
    expect(name).to_be_visible()
    # The cells are stacked: the first value starts under the name, at the same left edge.
    name_box, where_box = name.bounding_box(), where.bounding_box()
    assert name_box is not None and where_box is not None
    assert where_box["y"] >= name_box["y"] + name_box["height"] - 1
    assert abs(where_box["x"] - name_box["x"]) < 2
    label = where.evaluate("td => getComputedStyle(td, '::before').content")
    assert label == '"Where"'
    # On a desktop screen it is a table again, with its column headers.
    page.set_viewport_size({"width": 1280, "height": 800})
    expect(table.locator("thead th").first).to_be_visible()
    assert where.evaluate("td => getComputedStyle(td, '::before').content") == "none"


def test_a_wide_table_scrolls_sideways_from_the_keyboard(live_server, page, catalogue):
    """On a phone the statistics' table per factory and mode is wider than the screen: its
    region takes the keyboard focus, is announced by the table's caption, and the arrow keys
    scroll it."""
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/statistics/")
    region = page.locator(".table-responsive[role=region]").first
    expect(region).to_have_accessible_name(re.compile("^Per AI Factory and access mode: "))
    assert region.evaluate("r => r.scrollWidth > r.clientWidth"), "the table fits: nothing to test"
    region.focus()
    expect(region).to_be_focused()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("r => r.scrollLeft > 0", arg=region.element_handle())
