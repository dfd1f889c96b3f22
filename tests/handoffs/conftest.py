"""Fixtures of the hand-off tests: an approval at LUMI, its factory's hand-off settings, and
the site's keys (LUMI's and IT4LIA's)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from allocations.models import Allocation
from handoffs import services
from handoffs.models import Backend, HandOffSettings
from reviews.services import decisions
from reviews.services import routing as routing_services
from tests.fixtures.reviews import review_all
from tests.handoffs.fake_waldur import TOKEN, FakeWaldur, running

TOKEN_ENV = "AIF_TEST_WALDUR_TOKEN"
CUSTOMER = "4f1c2b7e9d3a4c5b8e6f0a1b2c3d4e5f"
OFFERING = "a1b2c3d4e5f678901234567890abcdef"


@pytest.fixture
def approve(
    submit_application, site_x, django_capture_on_commit_callbacks
) -> Callable[..., Allocation]:
    """The approver approves a Fast Lane application of Alice's at LUMI (20,000 GPU-hours
    asked), for 800 unless told; the hand-off runs once the approval commits (eager Celery)."""

    def approve_it(gpu_hours: int = 800) -> Allocation:
        application = submit_application(gpu_hours=20_000)
        routing_services.application_route(application_id=application.pk)
        review_all(application)
        with django_capture_on_commit_callbacks(execute=True):
            decisions.application_decide(
                application=application, approver=site_x.approver, outcome="approve",
                gpu_hours=gpu_hours, comment="A sound plan.",
            )  # fmt: skip
        return Allocation.objects.get(application=application)

    return approve_it


@pytest.fixture(autouse=True)
def eager_retries():
    """Eager tasks retry in-process (Celery's apply re-runs a task that asked for a retry) only
    when eager errors do not propagate; the countdowns of the backoff are then skipped."""
    from portal.celery import app

    saved = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = saved


@pytest.fixture
def site_export(site_x) -> HandOffSettings:
    return HandOffSettings.objects.create(
        factory=site_x.factory, backend=Backend.SITE_EXPORT, slurm_cluster="lumi"
    )


@pytest.fixture
def fake_waldur() -> Iterator[FakeWaldur]:
    with running(FakeWaldur()) as fake:
        yield fake


@pytest.fixture
def waldur(site_x, fake_waldur, monkeypatch) -> HandOffSettings:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    return HandOffSettings.objects.create(
        factory=site_x.factory, backend=Backend.WALDUR, waldur_api_url=fake_waldur.url,
        waldur_token_env=TOKEN_ENV, waldur_customer_uuid=CUSTOMER, waldur_offering_uuid=OFFERING,
    )  # fmt: skip


@pytest.fixture
def lumi_key(site_x) -> str:
    return services.site_token_issue(factory=site_x.factory, name="LUMI accounting")[1]


@pytest.fixture
def it4lia_key(site_y) -> str:
    return services.site_token_issue(factory=site_y.factory, name="IT4LIA accounting")[1]
