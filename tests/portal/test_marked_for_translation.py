"""Every label a person reads comes from a string marked for translation: a model field whose
verbose name Django makes up from its attribute name ("title") would stay English on a German
page, and so would a choice label or a form field's label written as a plain string."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.utils.functional import Promise
from django_countries.fields import CountryField

import accounts.forms
import allocations.forms
import applications.call_form_forms
import applications.forms
import finder.forms
import notifications.forms
import organisations.forms
import reviews.forms

PORTAL_APPS = [
    "accounts",
    "allocations",
    "applications",
    "factories",
    "handoffs",
    "notifications",
    "organisations",
    "reviews",
    "usage",
]


def portal_fields():
    for label in PORTAL_APPS:
        for model in apps.get_app_config(label).get_models():
            if model.__name__.startswith("Historical"):
                continue  # django-simple-history's copies
            for field in model._meta.get_fields():
                if field.concrete and not field.auto_created:
                    yield f"{label}.{model.__name__}.{field.name}", field


@pytest.mark.parametrize(
    ("name", "field"), list(portal_fields()), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_choice_is_translatable(name, field):
    if isinstance(field, CountryField):
        return  # django-countries names countries in the active language itself
    for value, text in field.flatchoices or ():
        assert isinstance(text, Promise), f"{name}: the choice {value!r} not marked"


def form_classes():
    for module in (
        accounts.forms,
        allocations.forms,
        applications.forms,
        applications.call_form_forms,
        finder.forms,
        notifications.forms,
        organisations.forms,
        reviews.forms,
    ):
        for obj in vars(module).values():
            if (
                isinstance(obj, type)
                and hasattr(obj, "base_fields")
                and obj.__module__ == module.__name__
            ):
                yield obj


@pytest.mark.parametrize("form_class", list(form_classes()), ids=lambda c: c.__name__)
def test_every_form_label_is_translatable(form_class):
    unmarked = [
        name
        for name, field in form_class.base_fields.items()
        if field.label is not None and not isinstance(field.label, Promise)
    ]
    assert unmarked == [], f"{form_class.__name__}: labels not marked"
