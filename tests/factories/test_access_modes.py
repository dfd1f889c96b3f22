"""Access modes explained (a public page per mode), the system pages' modes with an "Apply"
link and whether the system can take an application now, in HTML and over the API, and the
"Apply" link that starts a draft with the system and the mode."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from applications.models import AccessMode, Application, Cutoff
from factories.models import System
from reviews.models import SiteRole
from tests.factories.test_catalogue_pages import _text

pytestmark = pytest.mark.django_db


def test_it_lists_the_modes_with_their_rules(client, modes):
    response = client.get("/access-modes/")

    assert response.status_code == 200
    text = _text(response.content.decode())
    for mode in modes.values():
        assert mode.short_name in text
    assert "up to 50,000 GPU-hours" in text  # Fast Lane
    assert "at least 50,001 GPU-hours" in text  # Large Scale: more than 50,000


def test_it_explains_a_mode_who_bounds_durations_cutoffs_decision_steps_and_preparation(
    client, modes
):
    large_scale = modes["large-scale"]
    coming = large_scale.cutoffs.filter(closes_at__gt=timezone.now()).order_by("closes_at")

    html = client.get("/access-modes/large-scale/").content.decode()
    text = _text(html)

    assert "Who may apply Startup, SME, Large industry" in text
    assert "GPU-hours at least 50,001 GPU-hours" in text
    assert "Duration 3, 6 or 12 months" in text
    next_cutoff = timezone.localtime(coming[0].closes_at)
    assert f"next cut-off {next_cutoff:%-d %B %Y, %H:%M} (Brussels time)" in text
    assert "Decision decision within 10 working days of the cut-off" in text
    assert "Cut-offs close at 10:00 CET/CEST." in text
    assert "peer review" in text  # a step
    assert "upper bound about 2,400,000" in text  # a weak figure, labelled a hint
    assert "hint, not a rule" in text
    assert "organisation established in an EU Member State" in text
    assert html.count("(Brussels time)") >= coming.count()


def test_it_tells_what_to_prepare_for_ai_for_science(client, modes):
    text = _text(client.get("/access-modes/ai-for-science/").content.decode())

    assert "Project Scope and Plan (call-specific template, at most 10 pages)" in text
    assert "decision about 1 month after the cut-off" in text
    assert "not official text" in text
    assert "node-hours per partition" in text


def test_it_says_when_no_cutoff_is_published(client, modes):
    Cutoff.objects.filter(access_mode=modes["large-scale"]).delete()

    text = _text(client.get("/access-modes/large-scale/").content.decode())

    assert "The next cut-off is not yet published." in text
    assert "next cut-off not yet published" in text


def test_it_answers_404_for_an_unknown_or_closed_mode(client, modes):
    AccessMode.objects.filter(slug="playground").update(is_active=False)

    assert client.get("/access-modes/playground/").status_code == 404
    assert client.get("/access-modes/atlantis/").status_code == 404


def test_it_uses_a_fixed_number_of_queries_for_the_mode_pages(
    client, modes, django_assert_num_queries
):
    with django_assert_num_queries(2):  # modes, their coming cut-offs
        client.get("/access-modes/")
    with django_assert_num_queries(3):  # the mode, its cut-offs, its systems
        client.get("/access-modes/fast-lane/")


# --- System pages --------------------------------------------------------------------------------


def test_it_offers_apply_links_where_the_system_can_take_an_application(client, lumi, modes):
    html = client.get("/systems/lumi/").content.decode()

    assert (
        'href="/applications/new/?system=lumi&amp;mode=fast-lane">Apply for Fast Lane on LUMI</a>'
        in html
    )
    assert "Apply for Large Scale on LUMI" in html
    assert "Apply for Playground on LUMI" in html
    assert "not now" not in html


def test_it_says_why_a_system_cannot_take_an_application(client, lumi, modes):
    text = _text(client.get("/systems/marenostrum-5/").content.decode())

    assert (
        "Fast Lane : not now BSC AIF has no active technical reviewer yet, so it cannot review "
        "applications." in text
    )
    assert "Apply for" not in text


def test_it_shows_the_change_on_the_system_page_once_a_site_loses_its_reviewers(
    client, site_x, modes
):
    assert "Apply for Fast Lane on LUMI" in client.get("/systems/lumi/").content.decode()

    SiteRole.objects.get(user=site_x.approver).delete()

    html = client.get("/systems/lumi/").content.decode()
    assert "Apply for Fast Lane on LUMI" not in html
    assert "LUMI AIF has no active approver yet" in html


def test_it_gives_the_reason_over_the_api(client, lumi, modes):
    body = client.get("/api/v1/systems/marenostrum-5/").json()

    intakes = {i["mode"]: i for i in body["taking_applications"]}
    assert set(intakes) == set(modes)
    assert intakes["fast-lane"] == {
        "mode": "fast-lane",
        "mode_name": "Fast Lane",
        "can_take": False,
        "reason": "BSC AIF has no active technical reviewer yet, so it cannot review applications.",
    }
    lumi_body = client.get("/api/v1/systems/lumi/").json()
    assert {i["mode"]: i["can_take"] for i in lumi_body["taking_applications"]} == {
        "playground": True,
        "fast-lane": True,
        "large-scale": True,
        "ai-for-science": True,
    }


def test_it_uses_a_fixed_number_of_queries_for_a_system_page_whatever_the_number_of_modes(
    client, lumi, modes, django_assert_num_queries
):
    # the system, its sources, its partitions, the modes, their offers of it, its site's roles,
    # its ledger
    with django_assert_num_queries(7):
        client.get("/systems/lumi/")
    for i in range(5):
        AccessMode.objects.create(
            slug=f"extra-{i}",
            name=f"Extra {i}",
            short_name=f"Extra {i}",
            schedule="continuous",
            decision_target_working_days=5,
        ).systems.add(lumi)

    with django_assert_num_queries(7):
        assert "Apply for Extra 4 on LUMI" in client.get("/systems/lumi/").content.decode()
    with django_assert_num_queries(7):
        client.get("/api/v1/systems/lumi/")


# --- The "Apply" link ----------------------------------------------------------------------------


def test_the_apply_link_asks_an_anonymous_visitor_to_sign_in_first(client, lumi, modes):
    response = client.get("/applications/new/?system=lumi&mode=fast-lane")

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert "system%3Dlumi" in response["Location"] or "system=lumi" in response["Location"]


def test_the_apply_link_starts_a_draft_with_the_system_and_the_mode(client, alice, lumi, modes):
    client.force_login(alice)

    page = client.get("/applications/new/?system=lumi&mode=fast-lane")
    assert page.status_code == 200
    assert "A new draft under Fast Lane on LUMI" in _text(page.content.decode())
    assert not Application.objects.exists()  # a GET writes nothing

    response = client.post("/applications/new/", {"system": "lumi", "mode": "fast-lane"})

    draft = Application.objects.get(applicant=alice)
    assert response["Location"] == f"/applications/{draft.pk}/edit/organisation/"
    assert (draft.system.slug, draft.access_mode.slug) == ("lumi", "fast-lane")
    resources = client.get(f"/applications/{draft.pk}/edit/resources/").content.decode()
    assert f'value="{lumi.pk}" class="form-check-input" id="id_system_0" checked' in resources


def test_the_apply_link_leaves_out_what_does_not_exist(client, alice, lumi, modes):
    client.force_login(alice)

    page = client.get("/applications/new/?system=atlantis&mode=fast-lane")
    assert "It is left out" in _text(page.content.decode())

    client.post("/applications/new/", {"system": "atlantis", "mode": "fast-lane"})
    draft = Application.objects.get(applicant=alice)
    assert draft.system is None and draft.access_mode.slug == "fast-lane"


def test_a_system_page_of_a_mode_with_an_expired_cutoff_only_says_not_now(client, lumi, modes):
    Cutoff.objects.filter(closes_at__gt=timezone.now()).delete()
    Cutoff.objects.create(
        access_mode=modes["large-scale"], closes_at=timezone.now() - timedelta(days=1)
    )

    text = _text(client.get("/access-modes/large-scale/").content.decode())

    assert "The next cut-off is not yet published." in text
    assert System.objects.get(slug="lumi").status == "operational"


def test_it_serves_a_mode_page_from_the_cache_until_its_cutoffs_change(
    client, modes, django_assert_num_queries
):
    client.get("/access-modes/large-scale/")
    with django_assert_num_queries(0):
        assert client.get("/access-modes/large-scale/").status_code == 200

    soon = timezone.now() + timedelta(hours=1)
    Cutoff.objects.create(access_mode=modes["large-scale"], closes_at=soon)

    text = _text(client.get("/access-modes/large-scale/").content.decode())
    assert f"next cut-off {timezone.localtime(soon):%-d %B %Y, %H:%M}" in text
