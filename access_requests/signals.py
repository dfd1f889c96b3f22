"""Invalidate the cached signed-in lists (caching.py) on every write to the data they show, and
every cached page at each deployment (`migrate` runs at every start: templates and serializers
may have changed)."""

from __future__ import annotations

from django.apps import apps
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save

from .caching import access_data_changed

# The apps whose rows the lists show: applications and reviews, users and organisations, and
# the catalogue (system and factory names).
WATCHED_APPS = ("access_requests", "accounts", "factories")
# Written often by workers and shown on none of the cached pages.
IGNORED_MODELS = frozenset({"notification"})


def _changed(sender, **kwargs) -> None:
    if kwargs.get("update_fields") == frozenset({"last_login"}):  # every sign-in writes it
        return
    access_data_changed()


def _deployed(sender, **kwargs) -> None:
    from factories.caching import CATALOGUE

    from .caching import LISTS

    CATALOGUE.bump()
    LISTS.bump()


def connect() -> None:
    """Receivers on the watched models only: a receiver for every model would make Django give up
    fast deletes everywhere (sessions, tokens)."""
    for label in WATCHED_APPS:
        for model in apps.get_app_config(label).get_models():
            name = model._meta.model_name
            if name in IGNORED_MODELS or name.startswith("historical"):
                continue
            post_save.connect(_changed, sender=model, dispatch_uid=f"access-lists-save-{name}")
            post_delete.connect(_changed, sender=model, dispatch_uid=f"access-lists-delete-{name}")
        for model in apps.get_app_config(label).get_models():
            for field in model._meta.local_many_to_many:
                through = field.remote_field.through
                m2m_changed.connect(
                    _changed, sender=through, dispatch_uid=f"access-lists-m2m-{through.__name__}"
                )
    post_migrate.connect(_deployed, dispatch_uid="versioned-caches-deployed")
