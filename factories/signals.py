"""Invalidate the cached public catalogue whenever a factory, system or source changes."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .caching import catalogue_changed
from .models import AIFactory, Source, System


@receiver([post_save, post_delete], sender=AIFactory)
@receiver([post_save, post_delete], sender=System)
@receiver([post_save, post_delete], sender=Source)
def _catalogue_changed(**kwargs) -> None:
    catalogue_changed()
