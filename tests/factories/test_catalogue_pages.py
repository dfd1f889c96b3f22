from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_it_shows_the_seven_factories_on_the_home_page(client, catalogue):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    for city in ["Barcelona", "Bologna", "Kajaani", "Bissen", "Linköping", "Stuttgart", "Athens"]:
        assert city in html
    assert "<svg" in html  # the chart is server-rendered


def test_it_returns_a_404_page_for_an_unknown_factory(client, catalogue):
    response = client.get(reverse("factories:factory-detail", kwargs={"slug": "atlantis"}))
    assert response.status_code == 404
