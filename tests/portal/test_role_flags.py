"""The signed-in user comes with flags read in the query that loads them (portal/auth.py): whether
they hold a site role and whether they approve somewhere. Pages that only need a yes or no (the
navigation, the desk's link to the site's list, who may open the site's list) use them; the
answers must be those of the roles themselves, also right after a role changes."""

from __future__ import annotations

import pytest

from portal import permissions
from portal.auth import users_with_access_flags
from reviews.models import SiteRole
from tests.fixtures.reviews import login

pytestmark = pytest.mark.django_db


def _loaded(user):
    return users_with_access_flags().get(pk=user.pk)


def test_the_flags_say_what_the_roles_say(site_x, alice):
    reviewer, approver = site_x.technical[0], site_x.approver

    assert permissions.is_an_approver(_loaded(approver)) is True
    assert permissions.is_an_approver(_loaded(reviewer)) is False
    assert permissions.is_an_approver(_loaded(alice)) is False
    assert permissions.has_site_role(_loaded(reviewer)) is True
    # A user loaded elsewhere, without the flags: the roles are read.
    assert permissions.is_an_approver(approver) is True
    assert permissions.is_an_approver(reviewer) is False


def test_a_deactivated_approver_loses_the_site_list_at_the_next_request(client, site_x):
    approver = site_x.approver
    login(client, approver)
    desk = client.get("/review/").content.decode()
    assert 'href="/review/site/"' in desk
    assert client.get("/review/site/").status_code == 200

    SiteRole.objects.filter(user=approver, role=SiteRole.Role.APPROVER).update(is_active=False)

    assert client.get("/review/site/").status_code == 403
    assert 'href="/review/site/"' not in client.get("/review/").content.decode()


def test_a_reviewer_sees_no_link_to_the_site_list_and_is_refused_it(client, site_x):
    login(client, site_x.technical[0])

    assert 'href="/review/site/"' not in client.get("/review/").content.decode()
    assert client.get("/review/site/").status_code == 403
