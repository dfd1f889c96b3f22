"""Sign-up with a given and a family name (with a password, or through an OpenID Connect
provider), and the profile form that edits them."""

from __future__ import annotations

from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.socialaccount.forms import SignupForm as AllauthSocialSignupForm
from django import forms
from django.db import models
from django.utils.text import capfirst

from .models import User


def name_field(name: str, autocomplete: str) -> forms.CharField:
    """The model's field as a required form field: stripped, at most 150 characters, no line
    breaks or control characters (accounts.models.validate_person_name)."""
    model_field = User._meta.get_field(name)
    assert isinstance(model_field, models.CharField)
    # A model field's own validators are not the form field's (a ModelForm runs them at
    # full_clean): added here, so that the form answers with the error.
    field = model_field.formfield(required=True, validators=model_field.validators)
    assert isinstance(field, forms.CharField)
    field.label = capfirst(field.label)  # lazy: the label in the language of each page
    field.widget.attrs.update(
        {"autocomplete": autocomplete, "placeholder": field.label, "class": "form-control"}
    )
    return field


class SignupForm(AllauthSignupForm):
    """allauth's sign-up form with the person's names (its adapter saves `first_name` and
    `last_name` from the cleaned data)."""

    first_name = name_field("first_name", "given-name")
    last_name = name_field("last_name", "family-name")

    field_order = ["first_name", "last_name", "email", "password1", "password2"]


class SocialSignupForm(AllauthSocialSignupForm):
    """The new account of somebody signing in through a provider for the first time: names and
    address as the provider released them, to check or correct (a changed address is verified
    by email; the provider's verified one is not asked again)."""

    first_name = name_field("first_name", "given-name")
    last_name = name_field("last_name", "family-name")

    field_order = ["first_name", "last_name", "email"]


class ProfileForm(forms.Form):
    first_name = name_field("first_name", "given-name")
    last_name = name_field("last_name", "family-name")
