"""Invalidate the cached signed-in lists (caching.py) on every write to the data they show."""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from .caching import access_data_changed

# The apps whose rows the lists show: applications and reviews, users and organisations, and
# the catalogue (system and factory names).
WATCHED_APPS = frozenset({"access_requests", "accounts", "factories"})
# Written often by workers and shown on none of the cached pages.
IGNORED_MODELS = frozenset({"notification"})


@receiver(post_save)
@receiver(post_delete)
@receiver(m2m_changed)
def _access_data_changed(sender, **kwargs) -> None:
    meta = getattr(sender, "_meta", None)
    if meta is None or meta.app_label not in WATCHED_APPS or meta.model_name in IGNORED_MODELS:
        return
    access_data_changed()
