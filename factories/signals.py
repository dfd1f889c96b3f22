"""Invalidate the cached public catalogue whenever what its pages show changes: a factory,
system, antenna, link or source; an access mode, its cut-offs or the systems offering it; and
what decides whether a system can take applications now (site roles, allocations)."""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from allocations.models import Allocation
from applications.models import AccessMode, Cutoff
from reviews.models import SiteRole

from .caching import catalogue_changed
from .models import AIFactory, Antenna, AntennaLink, Source, System


@receiver([post_save, post_delete], sender=AIFactory)
@receiver([post_save, post_delete], sender=System)
@receiver([post_save, post_delete], sender=Source)
@receiver([post_save, post_delete], sender=Antenna)
@receiver([post_save, post_delete], sender=AntennaLink)
@receiver([post_save, post_delete], sender=AccessMode)
@receiver([post_save, post_delete], sender=Cutoff)
@receiver([post_save, post_delete], sender=SiteRole)
@receiver([post_save, post_delete], sender=Allocation)
@receiver(m2m_changed, sender=AccessMode.systems.through)
def _catalogue_changed(**kwargs) -> None:
    catalogue_changed()
