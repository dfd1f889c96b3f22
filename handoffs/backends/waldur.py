"""EFP / Waldur: the allocation becomes a Waldur project (in the factory's customer) with a
resource order for the factory's offering, limited to the GPU-hours awarded, through Waldur's
REST API with the official client (`waldur-api-client`). Waldur's identifiers are kept on the
hand-off; the order's state is read back until Waldur says done or refused.

Idempotent: the project carries `backend_id = aif-portal-allocation-<pk>` and is looked up by it
before one is created; the order is looked up by project and offering before one is placed.
Checked against Waldur's published OpenAPI description (handoffs/contract/), not a live Waldur.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING
from uuid import UUID

import httpx
from waldur_api_client import AuthenticatedClient, errors
from waldur_api_client.api.marketplace_orders import (
    marketplace_orders_create,
    marketplace_orders_list,
    marketplace_orders_retrieve,
)
from waldur_api_client.api.marketplace_resources import marketplace_resources_retrieve
from waldur_api_client.api.projects import projects_create, projects_list
from waldur_api_client.models import (
    GenericOrderAttributes,
    OrderCreateRequest,
    OrderCreateRequestLimits,
    OrderDetails,
    OrderState,
    ProjectRequest,
)
from waldur_api_client.types import UNSET

from handoffs.backends import HandOffRetry, Progress, Step

if TYPE_CHECKING:
    from allocations.models import Allocation
    from handoffs.models import HandOff, HandOffSettings

DONE_STATES = {"done"}
REFUSED_STATES = {"erred", "canceled", "rejected"}
TIMEOUT = httpx.Timeout(20.0)


def project_backend_id(allocation: Allocation) -> str:
    return f"aif-portal-allocation-{allocation.pk}"


def waldur_client(config: HandOffSettings) -> AuthenticatedClient:
    token = os.environ.get(config.waldur_token_env, "") if config.waldur_token_env else ""
    if not token:
        raise HandOffRetry(
            f"No Waldur token: the environment variable {config.waldur_token_env or '(unset)'} "
            "is empty on the worker."
        )
    return AuthenticatedClient(
        base_url=config.waldur_api_url.rstrip("/"), token=token, prefix="Token", timeout=TIMEOUT
    )


def _root(config: HandOffSettings) -> str:
    return config.waldur_api_url.rstrip("/")


def _hex(value: object) -> str:
    """A UUID as Waldur spells it in URLs (32 hex digits), or "" for none (None, UNSET)."""
    return UUID(str(value)).hex if isinstance(value, UUID | str) and value else ""


class WaldurBackend:
    def run(self, handoff: HandOff, config: HandOffSettings, progress: Progress) -> Step:
        client = waldur_client(config)
        try:
            with client:
                return self._run(client, handoff, config, progress)
        except errors.UnexpectedStatus as error:
            message = f"Waldur answered {error.status_code} at {error.url}: {error.content[:300]!r}"
            if error.status_code >= 500 or error.status_code == 429:
                raise HandOffRetry(message) from error
            return Step("failed", message)
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as error:
            # Unreachable, or an answer the client could not read: worth another try.
            raise HandOffRetry(f"Waldur could not be reached or read: {error}") from error

    def _run(
        self, client: AuthenticatedClient, handoff: HandOff, config: HandOffSettings,
        progress: Progress,
    ) -> Step:  # fmt: skip
        allocation = handoff.allocation
        project_uuid = handoff.waldur_project_uuid or self._project(client, allocation, config)
        progress(waldur_project_uuid=project_uuid)
        order_uuid = handoff.waldur_order_uuid or self._order(
            client, allocation, config, project_uuid
        )
        progress(waldur_order_uuid=order_uuid)
        order = marketplace_orders_retrieve.sync(UUID(order_uuid), client=client)
        state = order.state.value if isinstance(order.state, OrderState) else ""
        fields: dict[str, str] = {"waldur_order_state": state}
        if state in REFUSED_STATES:
            reason = order.error_message if isinstance(order.error_message, str) else ""
            return Step("failed", f"Waldur's order is {state}. {reason}".strip(), fields)
        if state not in DONE_STATES:
            return Step("waiting", f"Waldur's order is {state or 'placed'}.", fields)
        resource_uuid = _hex(_resource_uuid(order))
        fields["waldur_resource_uuid"] = resource_uuid
        if resource_uuid:
            resource = marketplace_resources_retrieve.sync(UUID(resource_uuid), client=client)
            backend_id = resource.backend_id if isinstance(resource.backend_id, str) else ""
            if backend_id:
                fields["slurm_account"] = backend_id
        return Step("done", "Waldur's order is done: the resource exists at the site.", fields)

    def _project(
        self, client: AuthenticatedClient, allocation: Allocation, config: HandOffSettings
    ) -> str:
        backend_id = project_backend_id(allocation)
        customer = config.waldur_customer_uuid
        assert customer is not None  # HandOffSettings.clean requires it for this backend
        existing = projects_list.sync(client=client, backend_id=backend_id, customer=[customer])
        for project in existing:
            if project.backend_id == backend_id and project.uuid is not UNSET:
                return _hex(project.uuid)
        application = allocation.application
        created = projects_create.sync(
            client=client,
            body=ProjectRequest(
                name=f"AIF #{application.pk}: {application.title}"[:500],
                customer=f"{_root(config)}/api/customers/{_hex(customer)}/",
                description=f"AI Factory allocation of {allocation.gpu_hours:,} GPU-hours.",
                backend_id=backend_id,
                start_date=allocation.start,
                end_date=allocation.end,
            ),
        )
        if created.uuid is UNSET:
            raise HandOffRetry("Waldur created the project but did not say its UUID.")
        return _hex(created.uuid)

    def _order(
        self, client: AuthenticatedClient, allocation: Allocation, config: HandOffSettings,
        project_uuid: str,
    ) -> str:  # fmt: skip
        offering = config.waldur_offering_uuid
        assert offering is not None
        existing = marketplace_orders_list.sync(
            client=client, project_uuid=UUID(project_uuid), offering_uuid=offering
        )
        for found in existing:
            state = found.state.value if isinstance(found.state, OrderState) else ""
            if found.uuid is not UNSET and state not in REFUSED_STATES:
                return _hex(found.uuid)
        root = _root(config)
        offering_url = f"{root}/api/marketplace-public-offerings/{_hex(offering)}/"
        limits = OrderCreateRequestLimits()
        limits[config.waldur_gpu_component] = int(
            getattr(allocation, "total_gpu_hours", allocation.gpu_hours)
        )
        application = allocation.application
        body = OrderCreateRequest(
            offering=offering_url,
            project=f"{root}/api/projects/{project_uuid}/",
            attributes=GenericOrderAttributes(
                name=f"aif-{application.pk}", description=application.title[:200]
            ),
            limits=limits,
            request_comment=f"AI Factory application #{application.pk}",
        )
        if config.waldur_plan_uuid:
            body.plan = f"{offering_url}plans/{_hex(config.waldur_plan_uuid)}/"
        order: OrderDetails = marketplace_orders_create.sync(client=client, body=body)
        if order.uuid is UNSET:
            raise HandOffRetry("Waldur placed the order but did not say its UUID.")
        return _hex(order.uuid)


def _resource_uuid(order: OrderDetails) -> object:
    for name in ("marketplace_resource_uuid", "resource_uuid"):
        value = getattr(order, name, UNSET)
        if value not in (UNSET, None):
            return value
    return None
