"""Invalidate the cached signed-in lists (caching.py) on every write to the data they show, and
every cached page at each deployment (`migrate` runs at every start: templates and serializers
may have changed)."""

from __future__ import annotations

from django.apps import apps
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save, pre_save

from .caching import access_data_changed

# The apps whose rows the lists show: applications and reviews, users and organisations, and
# the catalogue (system and factory names).
WATCHED_APPS = ("access_requests", "accounts", "factories")
# Written often by workers and shown on none of the cached pages.
IGNORED_MODELS = frozenset({"notification"})


# Rows about one application: a save invalidates only the lists of the people following it
# (the applicant, the organisation's representatives, its reviewers, the site's approvers; found
# when the row is written and again once the transaction commits, caching.py). What makes
# people follow an application, and a user the row concerns too.
APPLICATION_ROWS = {
    "application": (("applicant_id", "organisation_id", "system_id"), None),
    "assignment": (("application_id",), "reviewer_id"),
    "decision": (("application_id",), None),
    "routingrecord": (("application_id",), None),
    "applicationevent": (("application_id",), None),
    "attachment": (("application_id",), None),
    "teammember": (("application_id",), None),
}
# Rows about one user: a save invalidates that user's lists.
USER_ROWS = {"membership": "user_id", "siterole": "user_id"}


def _before(sender, instance, **kwargs) -> None:
    """Before a row changes: whether it moved (another applicant, organisation, system or
    application: who followed it may no longer, so everybody's lists are invalidated), and the
    user it concerned (a reviewer or member replaced in the admin). A query per save of an
    existing row; a new row had nobody."""
    instance._moved = False
    instance._concerned_before = None
    if instance.pk is None or instance._state.adding:
        return
    name = sender._meta.model_name
    follow_fields, user_field = APPLICATION_ROWS.get(name, ((), USER_ROWS.get(name)))
    fields = [*follow_fields, *([user_field] if user_field else [])]
    old = sender._default_manager.filter(pk=instance.pk).values_list(*fields).first()
    if old is None:
        return
    previous = dict(zip(fields, old, strict=True))
    instance._moved = any(previous[f] != getattr(instance, f) for f in follow_fields)
    if user_field:
        instance._concerned_before = previous[user_field]


def _changed(sender, instance=None, **kwargs) -> None:
    if kwargs.get("update_fields") == frozenset({"last_login"}):  # every sign-in writes it
        return
    name = sender._meta.model_name
    # Many-to-many changes, moved rows, deleted applications and reviews, and every other model
    # (catalogue names, access modes, organisations, users, allocations, which staff see all
    # of): everybody's lists. A deleted row about an application (a team member, an attachment,
    # an assignment) or a user (a membership, a site role) still holds whom it concerned.
    signal = kwargs.get("signal")
    deleted = signal is post_delete and name not in ("application", "review")
    if (
        instance is None
        or not (signal is post_save or deleted)
        or getattr(instance, "_moved", False)
    ):
        access_data_changed()
    elif name in APPLICATION_ROWS:
        user_field = APPLICATION_ROWS[name][1]
        application_id = instance.pk if name == "application" else instance.application_id
        users = {getattr(instance, user_field) if user_field else None}
        users.add(getattr(instance, "_concerned_before", None))
        access_data_changed(application_ids=[application_id], user_ids=users - {None})
    elif name == "review":
        assignment = instance.assignment
        access_data_changed(
            application_ids=[assignment.application_id], user_ids=[assignment.reviewer_id]
        )
    elif name in USER_ROWS:
        users = {getattr(instance, USER_ROWS[name]), getattr(instance, "_concerned_before", None)}
        access_data_changed(user_ids=users - {None})
    else:
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
            if name in APPLICATION_ROWS or name in USER_ROWS:
                pre_save.connect(_before, sender=model, dispatch_uid=f"access-lists-pre-{name}")
            post_delete.connect(_changed, sender=model, dispatch_uid=f"access-lists-delete-{name}")
        for model in apps.get_app_config(label).get_models():
            for field in model._meta.local_many_to_many:
                through = field.remote_field.through
                m2m_changed.connect(
                    _changed, sender=through, dispatch_uid=f"access-lists-m2m-{through.__name__}"
                )
    post_migrate.connect(_deployed, dispatch_uid="versioned-caches-deployed")
