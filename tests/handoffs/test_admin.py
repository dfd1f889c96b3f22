"""The admin of hand-offs: a site key shown once and stored as its digest; the factory's
settings refused when incomplete; none of it for anybody but staff."""

from __future__ import annotations

import pytest
from django.urls import reverse

from handoffs.models import HandOffSettings, SiteToken, site_token_digest
from tests.fixtures.reviews import login

pytestmark = pytest.mark.django_db


def test_staff_add_a_site_key_shown_once_and_kept_as_its_digest(client, sam, site_x):
    login(client, sam)
    response = client.post(
        reverse("admin:handoffs_sitetoken_add"),
        {"factory": site_x.factory.pk, "name": "LUMI accounting cron"},
        follow=True,
    )

    assert response.status_code == 200
    (message,) = [str(m) for m in response.context["messages"] if "shown only now" in str(m)]
    key = message.rsplit(": ", 1)[1]
    token = SiteToken.objects.get()
    assert token.digest == site_token_digest(key)
    assert key not in str(SiteToken.objects.values().get())
    page = client.get(reverse("admin:handoffs_sitetoken_change", args=[token.pk]))
    assert key not in page.content.decode()


def test_the_admin_refuses_an_incomplete_waldur_backend(client, sam, site_x):
    login(client, sam)
    response = client.post(
        reverse("admin:handoffs_handoffsettings_add"),
        {
            "factory": site_x.factory.pk, "backend": "waldur", "slurm_account_prefix": "aif-",
            "waldur_gpu_component": "gpu_hours", "waldur_token_env": "not a variable",
        },
    )  # fmt: skip

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert {"waldur_api_url", "waldur_token_env"} <= set(errors)
    assert not HandOffSettings.objects.exists()


@pytest.mark.parametrize(
    "name", ["admin:handoffs_sitetoken_add", "admin:handoffs_handoffsettings_add",
             "admin:handoffs_handoff_changelist"],
)  # fmt: skip
def test_nobody_but_staff_reaches_it(client, alice, site_x, name):
    login(client, alice)
    response = client.post(reverse(name), {"factory": site_x.factory.pk, "name": "x"})
    assert response.status_code == 302
    assert "/login" in response["Location"]
    assert not SiteToken.objects.exists()
