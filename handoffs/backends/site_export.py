"""Site export: a JSON document describing the allocation and the Slurm commands that create
its account with a GPU-minute limit, for the site to fetch over the site API and apply."""

from __future__ import annotations

import re
import shlex
from typing import TYPE_CHECKING, Any

from handoffs.backends import Progress, Step

if TYPE_CHECKING:
    from allocations.models import Allocation
    from handoffs.models import HandOff, HandOffSettings

EXPORT_VERSION = 1


def slurm_account_name(config: HandOffSettings, allocation: Allocation) -> str:
    """The allocation's account on the site's cluster: the factory's prefix and the
    application number (`aif-42`), as Slurm spells names (lower case)."""
    return f"{config.slurm_account_prefix}{allocation.application_id}".lower()


def gpu_minutes(allocation: Allocation) -> int:
    total = getattr(allocation, "total_gpu_hours", allocation.gpu_hours)
    return int(total) * 60


def _text(value: str, limit: int = 120) -> str:
    """Free text for a sacctmgr value: one line, no quotes to escape, bounded."""
    return re.sub(r"[^\w .,:()/-]+", " ", value).strip()[:limit]


def slurm_commands(config: HandOffSettings, allocation: Allocation, account: str) -> list[str]:
    application = allocation.application
    organisation = application.organisation.legal_name if application.organisation else ""
    add = [
        "sacctmgr", "-i", "add", "account", account, f"Cluster={config.slurm_cluster}",
        f"Description={_text(f'AI Factory application #{application.pk}: {application.title}')}",
        f"Organization={_text(organisation or 'none', 60)}",
    ]  # fmt: skip
    if config.slurm_parent_account:
        add.append(f"Parent={config.slurm_parent_account}")
    limit = [
        "sacctmgr", "-i", "modify", "account", "where", f"name={account}",
        f"cluster={config.slurm_cluster}", "set", f"GrpTRESMins=gres/gpu={gpu_minutes(allocation)}",
    ]  # fmt: skip
    return [shlex.join(add), shlex.join(limit)]


def export_document(
    config: HandOffSettings, allocation: Allocation, account: str
) -> dict[str, Any]:
    application = allocation.application
    return {
        "version": EXPORT_VERSION,
        "allocation": allocation.pk,
        "application": application.pk,
        "title": application.title,
        "organisation": application.organisation.legal_name if application.organisation else "",
        "applicant_email": application.applicant.email,
        "system": allocation.system.slug,
        "cluster": config.slurm_cluster,
        "account": account,
        "parent_account": config.slurm_parent_account,
        "gpu_hours": int(getattr(allocation, "total_gpu_hours", allocation.gpu_hours)),
        "gpu_minutes": gpu_minutes(allocation),
        "start": allocation.start.isoformat(),
        "end": allocation.end.isoformat(),
        "slurm_commands": slurm_commands(config, allocation, account),
    }


class SiteExportBackend:
    def run(self, handoff: HandOff, config: HandOffSettings, progress: Progress) -> Step:
        allocation = handoff.allocation
        account = handoff.slurm_account or slurm_account_name(config, allocation)
        document = export_document(config, allocation, account)
        return Step(
            "waiting",
            f"The export for Slurm account {account} is ready; the site confirms once created.",
            {"slurm_account": account, "export": document},
        )
