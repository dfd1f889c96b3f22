"""The after-award pages in the reader's language: a German reader (Accept-Language) gets the
page with lang="de", GPU-hours grouped the German way and German month names; English stays
the default."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from tests.allocations.conftest import ASKED
from tests.fixtures.reviews import login

pytestmark = pytest.mark.django_db


def german(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def test_the_allocation_page_in_german(client, awarded, alice):
    page = (
        login(client, alice)
        .get(
            reverse("allocations:detail", args=[awarded.application_id]), HTTP_ACCEPT_LANGUAGE="de"
        )
        .content.decode()
    )
    assert 'lang="de"' in page
    assert german(awarded.gpu_hours) in page
    with translation.override("de"):
        assert date_format(awarded.end, "F") in page  # the month's German name


def test_the_allocation_page_stays_english_by_default(client, awarded, alice):
    page = login(client, alice).get(reverse("allocations:detail", args=[awarded.application_id]))
    assert f"{awarded.gpu_hours:,}" in page.content.decode()


def test_the_site_list_groups_gpu_hours_for_the_reader(client, asked, site_x):
    login(client, site_x.approver)
    url = reverse("review:site-applications")
    assert german(ASKED) in client.get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert f"{ASKED:,}" in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
