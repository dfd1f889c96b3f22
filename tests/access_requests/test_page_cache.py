"""The signed-in lists are cached per user until the next write (access_requests/caching.py):
nobody ever sees a stale list, somebody else's list, or a list they lost the right to."""

from __future__ import annotations

import pytest
from django.test import Client
from django.test.utils import override_settings

from access_requests import review_services, services
from access_requests.caching import LISTS, access_data_changed
from access_requests.models import ApplicationStatus, Assignment, SiteRole
from tests.queries import CACHE_HIT_QUERIES, give_csrf_cookie

from .review_fixtures import *  # noqa: F403
from .review_fixtures import login

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client()
    login(client, user)
    give_csrf_cookie(client)
    return client


def token_client(user) -> Client:
    from rest_framework.authtoken.models import Token

    token, _ = Token.objects.get_or_create(user=user)
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}")


def test_a_cached_dashboard_shows_a_change_at_once(
    alice, submit_application, django_assert_num_queries
):
    application = submit_application(title="Cached protein model")
    client = browser(alice)
    first = client.get("/applications/").content.decode()
    assert "Cached protein model" in first
    with django_assert_num_queries(CACHE_HIT_QUERIES):
        assert client.get("/applications/").content.decode() == first

    services.application_withdraw(application=application, actor=alice)

    page = client.get("/applications/").content.decode()
    assert page != first
    assert "Withdrawn" in page


def test_an_admin_edit_to_a_shown_name_reaches_the_cached_dashboard(
    alice, submit_application, site_x
):
    submit_application()
    client = browser(alice)
    assert "LUMI" in client.get("/applications/").content.decode()

    site_x.system.name = "LUMI-renamed"
    site_x.system.save()

    assert "LUMI-renamed" in client.get("/applications/").content.decode()


def test_the_api_list_shows_a_change_at_once(alice, submit_application):
    application = submit_application()
    client = token_client(alice)
    assert client.get("/api/v1/applications/").json()["results"][0]["status"] == "submitted"

    services.application_withdraw(application=application, actor=alice)

    assert client.get("/api/v1/applications/").json()["results"][0]["status"] == "withdrawn"


def test_one_users_cached_list_is_never_served_to_another(alice, bob, submit_application):
    submit_application(title="Alice's confidential plan")
    alice_page = browser(alice).get("/applications/").content.decode()
    assert "Alice&#x27;s confidential plan" in alice_page

    bob_page = browser(bob).get("/applications/").content.decode()
    assert "confidential plan" not in bob_page
    assert bob_page != alice_page
    bob_api = token_client(bob).get("/api/v1/applications/").json()
    assert bob_api["count"] == 0


def test_routing_to_a_reviewer_reaches_their_cached_desk(site_x, submit_application):
    tess = site_x.technical[0]
    client = browser(tess)
    assert client.get("/review/").context["assignments"] == []

    application = submit_application(title="Freshly routed")
    review_services.application_route(application_id=application.pk)  # bulk-creates

    response = client.get("/review/")
    assert [a.application_id for a in response.context["assignments"]] == [application.pk]
    api = token_client(tess).get("/api/v1/assignments/").json()
    assert [row["application"] for row in api["results"]] == [application.pk]


def test_a_reviewer_whose_role_ends_loses_the_cached_desk(site_x, routed):
    tess = site_x.technical[0]
    client = browser(tess)
    assert client.get("/review/").status_code == 200
    assert client.get("/review/").status_code == 200  # from the cache

    SiteRole.objects.filter(user=tess).update(is_active=False)  # bulk: no signal ...
    access_data_changed()  # ... so the writer says so, as the services do

    assert client.get("/review/").status_code == 403


def test_a_waiting_message_is_shown_not_the_cached_page(alice, submit_application):
    application = submit_application()
    services.application_withdraw(application=application, actor=alice)
    client = browser(alice)
    client.get("/applications/")
    cached = client.get("/applications/").content.decode()

    # Withdrawing again writes nothing (the version stays) but leaves a message to show once.
    client.post(f"/applications/{application.pk}/withdraw/")

    page = client.get("/applications/").content.decode()
    assert "Your application was withdrawn." in page
    assert "Your application was withdrawn." not in cached
    assert client.get("/applications/").content.decode() == cached  # shown once, then cached


@pytest.mark.django_db(transaction=True)
def test_a_write_bumps_the_versions_at_once_and_again_when_its_transaction_commits(
    alice, submit_application
):
    from django.core.cache import cache
    from django.db import connection, transaction

    application = submit_application()
    alices = LISTS.scope_prefix + f"user:{alice.pk}"
    before = cache.get(alices)
    with transaction.atomic():
        services.application_withdraw(application=application, actor=alice)  # two rows
        during = cache.get(alices)
        assert during != before  # at once, for readers of this connection
        registered = [e for e in connection.run_on_commit if e[1] is LISTS._bump_pending_at_commit]
        assert len(registered) == 1  # once per transaction
    assert cache.get(alices) != during  # again at commit


def test_a_write_leaves_the_lists_of_users_it_does_not_concern_cached(
    alice, bob, bob_org, submit_application, django_assert_num_queries
):
    application = submit_application()
    bob_browser = browser(bob)
    bob_page = bob_browser.get("/applications/").content

    services.application_withdraw(application=application, actor=alice)

    with django_assert_num_queries(CACHE_HIT_QUERIES):  # still Bob's cached page
        assert bob_browser.get("/applications/").content == bob_page


def test_the_organisations_representatives_see_a_members_change(
    alice, carol, rita, alice_org, modes, site_x
):
    from access_requests.models import Membership

    Membership.objects.filter(user=carol).update(role=Membership.Role.REPRESENTATIVE)
    access_data_changed(user_ids=[carol.pk])
    draft = services.application_create(
        applicant=carol,
        organisation=alice_org,
        title="Carol's draft",
        access_mode=modes["playground"],
    )
    rita_browser = browser(rita)
    assert "Carol&#x27;s draft" in rita_browser.get("/applications/").content.decode()

    draft.title = "Carol's renamed draft"
    draft.save()

    assert "Carol&#x27;s renamed draft" in rita_browser.get("/applications/").content.decode()


def test_an_application_moved_to_another_organisation_leaves_the_old_representatives_lists(
    alice, rita, alice_org, bob, bob_org, modes
):
    from access_requests.models import Membership

    Membership.objects.create(user=alice, organisation=bob_org, role=Membership.Role.REPRESENTATIVE)
    access_data_changed(user_ids=[alice.pk])
    draft = services.application_create(
        applicant=alice,
        organisation=alice_org,
        title="Moving draft",
        access_mode=modes["playground"],
    )
    rita_browser = browser(rita)
    assert "Moving draft" in rita_browser.get("/applications/").content.decode()

    draft.organisation = bob_org
    draft.save()

    assert "Moving draft" not in rita_browser.get("/applications/").content.decode()


def test_the_site_approver_sees_a_new_submission_on_the_cached_desk(site_x, submit_application):
    paula = browser(site_x.approver)
    assert paula.get("/review/?status=all").context["site_applications"] == []

    application = submit_application(title="Just submitted")

    response = paula.get("/review/?status=all")
    assert [a.pk for a in response.context["site_applications"]] == [application.pk]


def test_a_browser_without_a_csrf_cookie_gets_a_page_of_its_own(alice, submit_application):
    submit_application()
    client = Client()
    login(client, alice)
    first = client.get("/applications/")
    # The page minted a CSRF secret for this browser, sent as a cookie with it: a copy served to
    # another browser of the same session, without that cookie, would carry tokens it cannot use.
    assert first.cookies.get("csrftoken")

    twin = Client()
    twin.cookies["sessionid"] = client.cookies["sessionid"].value
    second = twin.get("/applications/")
    assert second.cookies.get("csrftoken")  # rendered for it, not served from the cache
    assert second.cookies["csrftoken"].value != first.cookies["csrftoken"].value


@override_settings(USER_PAGE_CACHE=False)
def test_the_cache_can_be_switched_off(alice, submit_application, django_assert_num_queries):
    submit_application()
    client = browser(alice)
    client.get("/applications/")
    with pytest.raises(pytest.fail.Exception), django_assert_num_queries(CACHE_HIT_QUERIES):
        client.get("/applications/")


def test_an_assignment_declined_leaves_the_desk(site_x, routed):
    tess = site_x.technical[0]
    client = browser(tess)
    assignment = Assignment.objects.get(application=routed, reviewer=tess)
    assert client.get("/review/").context["assignments"] == [assignment]

    review_services.assignment_decline(
        assignment=assignment, reviewer=tess, reason="On leave this month."
    )

    assert client.get("/review/").context["assignments"] == []


def test_writes_and_pages_go_on_when_the_cache_is_down(
    monkeypatch, client, alice, submit_application
):
    from portal import versioned_cache
    from tests.portal.test_cache_outage import dead_redis

    application = submit_application(title="Written during a cache outage")
    monkeypatch.setattr(versioned_cache, "cache", dead_redis())

    services.application_withdraw(application=application, actor=alice)  # bumps: must not fail

    application.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN
    client.force_login(alice)
    give_csrf_cookie(client)
    for _ in range(2):
        page = client.get("/applications/")
        assert page.status_code == 200
        assert "Written during a cache outage" in page.content.decode()


def test_a_deployment_invalidates_every_cached_page(alice, submit_application):
    """`migrate` runs at every start (make run, the web container): templates may have changed."""
    from django.core.cache import cache
    from django.core.management import call_command

    from factories.caching import CATALOGUE

    before = (cache.get(LISTS.version_key), cache.get(CATALOGUE.version_key))

    call_command("migrate", verbosity=0)

    after = (cache.get(LISTS.version_key), cache.get(CATALOGUE.version_key))
    assert after[0] != before[0] and after[1] != before[1]


def test_signing_in_does_not_invalidate_everybodys_lists(alice, submit_application):
    from django.contrib.auth.models import update_last_login
    from django.core.cache import cache

    submit_application()
    before = cache.get(LISTS.version_key)

    update_last_login(None, alice)  # what every sign-in does

    assert cache.get(LISTS.version_key) == before


@pytest.mark.django_db(transaction=True)
def test_followers_are_found_again_when_the_write_commits(alice, alice_org, bob, modes):
    """Somebody made a representative by another transaction while this one was open may have
    cached the application as it was: the commit finds the followers again."""
    from django.core.cache import cache
    from django.db import transaction

    from access_requests.models import Membership

    draft = services.application_create(
        applicant=alice, organisation=alice_org, title="Before", access_mode=modes["playground"]
    )
    bobs = LISTS.scope_prefix + f"user:{bob.pk}"
    with transaction.atomic():
        draft.title = "After"
        draft.save()
        # Another transaction, committed meanwhile (no signal here: its own bump came and went).
        Membership.objects.bulk_create(
            [Membership(user=bob, organisation=alice_org, role=Membership.Role.REPRESENTATIVE)]
        )
        before_commit = cache.get(bobs)
    assert cache.get(bobs) != before_commit


def test_a_draft_moved_to_another_system_invalidates_everybody(alice, submit_application, site_y):
    from django.core.cache import cache

    from access_requests.models import Application

    application = submit_application()
    everybody = cache.get(LISTS.version_key)
    Application.objects.filter(pk=application.pk).update(status="draft")
    draft = Application.objects.get(pk=application.pk)

    draft.system = site_y.system
    draft.save()

    assert cache.get(LISTS.version_key) != everybody


def test_editing_the_team_leaves_other_users_lists_cached(
    alice, bob, bob_org, submit_application, django_assert_num_queries
):
    from access_requests.models import Application

    application = submit_application(team=["tom@example.eu"])
    Application.objects.filter(pk=application.pk).update(status="draft")
    bob_browser = browser(bob)
    bob_page = bob_browser.get("/applications/").content

    services.team_members_set(  # deletes the team, then writes it again
        application=application, actor=alice, members=[{"name": "Ann", "email": "ann@x.eu"}]
    )

    with django_assert_num_queries(CACHE_HIT_QUERIES):
        assert bob_browser.get("/applications/").content == bob_page


def test_a_representative_removed_from_the_organisation_loses_its_applications(
    alice, rita, alice_org, submit_application
):
    from access_requests.models import Membership

    submit_application(title="Organisation plan")
    rita_browser = browser(rita)
    assert "Organisation plan" in rita_browser.get("/applications/").content.decode()

    Membership.objects.get(user=rita, organisation=alice_org).delete()

    assert "Organisation plan" not in rita_browser.get("/applications/").content.decode()


def test_a_reviewer_whose_assignment_is_deleted_loses_it_from_the_cached_desk(site_x, routed):
    tess = site_x.technical[0]
    tess_browser = browser(tess)
    assert len(tess_browser.get("/review/").context["assignments"]) == 1

    Assignment.objects.get(application=routed, reviewer=tess).delete()

    assert tess_browser.get("/review/").context["assignments"] == []
