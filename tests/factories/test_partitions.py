"""The system page and the catalogue API show a system's GPUs per node and its partitions."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.core.cache import cache

from factories.models import Partition, System

pytestmark = pytest.mark.django_db

NOT_PUBLISHED = "not yet published"


def _text(fragment: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _page(client, slug: str) -> str:
    cache.clear()
    response = client.get(f"/systems/{slug}/")
    assert response.status_code == 200
    return response.content.decode()


def _gpus_per_node(html: str) -> str:
    match = re.search(r'<dd[^>]*id="gpus-per-node">(.*?)</dd>', html, flags=re.S)
    assert match, "no GPUs per node on the page"
    return _text(match.group(1))


def _partition_rows(html: str) -> list[list[str]]:
    """The partitions table's rows, each as the cells a reader sees."""
    table = html.split('id="partitions-caption"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    return [
        [_text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    ]


@pytest.fixture
def jupiter(catalogue) -> System:
    """JUPITER (4 GPUs per node in the catalogue) with a Booster of its own figure, a Cluster
    on the system's and a closed partition."""
    system = System.objects.get(slug="jupiter")
    Partition.objects.create(system=system, name="Booster", accelerator="NVIDIA GH200")
    Partition.objects.create(system=system, name="Cluster", gpus_per_node=8)
    Partition.objects.create(system=system, name="Old", is_open=False)
    return system


def test_the_system_page_shows_the_gpus_per_node_and_the_partitions(client, jupiter):
    html = _page(client, "jupiter")

    assert _gpus_per_node(html) == "4"
    assert _partition_rows(html) == [
        ["Booster", "NVIDIA GH200", "4 (the system's)", "Yes"],
        ["Cluster", jupiter.accelerator or NOT_PUBLISHED, "8", "Yes"],
        ["Old", jupiter.accelerator or NOT_PUBLISHED, "4 (the system's)", "No"],
    ]


def test_the_system_page_says_when_the_gpus_per_node_and_partitions_are_not_published(
    client, catalogue
):
    html = _page(client, "lumi-ai")

    assert _gpus_per_node(html) == NOT_PUBLISHED
    assert "No partition published: applications ask for the whole system." in html
    assert "partitions-caption" not in html


def test_a_partition_on_a_system_without_the_figure_says_not_yet_published(client, catalogue):
    lumi = System.objects.get(slug="lumi")
    assert lumi.gpus_per_node is None
    Partition.objects.create(system=lumi, name="LUMI-G")

    [[name, _accelerator, gpus, is_open]] = _partition_rows(_page(client, "lumi"))
    assert (name, gpus, is_open) == ("LUMI-G", NOT_PUBLISHED, "Yes")


def test_the_system_page_makes_no_query_per_partition(
    client, jupiter, django_assert_max_num_queries
):
    cache.clear()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        client.get("/systems/jupiter/")
    for i in range(5):
        Partition.objects.create(system=jupiter, name=f"Extra {i}")
    cache.clear()
    with django_assert_max_num_queries(len(before.captured_queries)):
        html = client.get("/systems/jupiter/").content.decode()
    assert len(_partition_rows(html)) == 8


def test_the_system_api_gives_the_gpus_per_node_and_the_partitions(client, jupiter):
    cache.clear()
    body = client.get("/api/v1/systems/jupiter/").json()

    assert body["gpus_per_node"] == 4
    booster, cluster, old = (
        Partition.objects.get(system=jupiter, name=n) for n in ("Booster", "Cluster", "Old")
    )
    fields = ("id", "name", "accelerator", "gpus_per_node", "is_open")
    assert body["partitions"] == [
        dict(zip(fields, (booster.pk, "Booster", "NVIDIA GH200", None, True), strict=True)),
        dict(zip(fields, (cluster.pk, "Cluster", "", 8, True), strict=True)),
        dict(zip(fields, (old.pk, "Old", "", None, False), strict=True)),
    ]


def test_the_system_list_api_gives_them_too_without_a_query_per_system(
    client, jupiter, django_assert_max_num_queries
):
    cache.clear()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        body = client.get("/api/v1/systems/", {"page_size": 100}).json()
    rows = {row["slug"]: row for row in body["results"]}
    assert rows["jupiter"]["gpus_per_node"] == 4
    assert [p["name"] for p in rows["jupiter"]["partitions"]] == ["Booster", "Cluster", "Old"]
    assert rows["lumi-ai"]["gpus_per_node"] is None
    assert rows["lumi-ai"]["partitions"] == []

    lumi = System.objects.get(slug="lumi")
    for i in range(3):
        Partition.objects.create(system=lumi, name=f"Part {i}")
    cache.clear()
    with django_assert_max_num_queries(len(before.captured_queries)):
        client.get("/api/v1/systems/", {"page_size": 100})
