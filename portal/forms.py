"""Pieces the apps' forms share: Bootstrap classes, and a service's errors on a form."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from portal.validators import TextInputsFormMixin


class BootstrapMixin(TextInputsFormMixin):
    """Bootstrap classes on widgets, so templates can render fields plainly; and every text field
    checked for control characters (single-line ones for line breaks and bidi overrides too)."""

    fields: dict[str, forms.Field]  # the form's, which this mixin is mixed into

    def _style(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.RadioSelect | forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")


def _safe_next(request: HttpRequest) -> str | None:
    """The `next` parameter when it stays on this site (never an open redirect)."""
    target = request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            if field == "attachments" and "attachment" in form.fields:
                field = "attachment"
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
