"""What text the portal accepts, in one place: the API's serializers and the HTML forms share it.

- No text field takes a control character (NUL, which PostgreSQL refuses in text, and the other C0
  and C1 controls), nor an unpaired surrogate; a multi-line field (a textarea, an abstract, a
  comment) still takes tabs and line breaks.
- A single-line field (a title, a name, a slug) takes no line break (CR, LF, U+2028, U+2029) and
  no bidirectional embedding, override or isolate (U+202A-U+202E, U+2066-U+2069): an RTL override
  makes "Invoice \u202egnp.exe" read as "Invoice exe.png".

The validators are RegexValidators, so that the OpenAPI schema states each as a `pattern`
(drf-spectacular turns `\\A`/`\\Z` into `^`/`$`); the check itself looks for a refused character,
which also catches what a `$` would let through (a final newline).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Controls a multi-line text may not hold: C0 but tab, LF and CR; DEL; C1.
_CONTROLS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
# What a single-line text may not hold besides: tab, CR, LF, the Unicode line and paragraph
# separators, and the bidirectional embeddings, overrides and isolates.
_LINE_BREAKS_AND_BIDI = r"\t\n\r\u2028\u2029\u202a-\u202e\u2066-\u2069"

# The longest value an API query parameter may have (portal.request_checks refuses longer ones;
# the schema states it, or a filter's own smaller bound).
QUERY_MAX_LENGTH = 100

MULTI_LINE_REFUSED = re.compile(f"[{_CONTROLS}]")
SINGLE_LINE_REFUSED = re.compile(f"[{_CONTROLS}{_LINE_BREAKS_AND_BIDI}]")


def _describe(char: str) -> str:
    return f"U+{ord(char):04X}"


@deconstructible
class TextValidator(RegexValidator):
    """Refuses the characters of `refused`; its `regex` (the allowed text) is for the schema."""

    def __init__(self, refused: re.Pattern[str], message: StrOrPromise) -> None:
        super().__init__(regex=rf"\A[^{refused.pattern[1:-1]}]*\Z", message=message)
        self.refused = refused

    def __call__(self, value: Any) -> None:
        text = str(value)
        found = self.refused.search(text)
        if found:
            # Translators: the rule, then a character's code point such as U+0000.
            message = gettext("%(rule)s (found %(character)s).") % {
                "rule": self.message,
                "character": _describe(found.group()),
            }
            raise ValidationError(message, code=self.code)
        if _has_lone_surrogate(text):
            message = gettext("%(rule)s (found a lone surrogate).") % {"rule": self.message}
            raise ValidationError(message, code=self.code)


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


multi_line_text = TextValidator(
    MULTI_LINE_REFUSED, _("This field may not contain control characters")
)
single_line_text = TextValidator(
    SINGLE_LINE_REFUSED,
    _(
        "This field must be one line of plain text: no control characters, line breaks or "
        "bidirectional overrides"
    ),
)


def text_error(value: str, *, multi_line: bool) -> str | None:
    """The message for `value`, or None when a field of that kind accepts it."""
    try:
        (multi_line_text if multi_line else single_line_text)(value)
    except ValidationError as exc:
        return exc.messages[0]
    return None


# --- HTML forms ---------------------------------------------------------------------------------

if TYPE_CHECKING:
    _FormBase = forms.BaseForm
else:
    _FormBase = object


class TextInputsFormMixin(_FormBase):
    """Every text field of the form is checked: a field with a Textarea is multi-line, every
    other one single-line. Mixed into portal.forms.BootstrapMixin, hence into every form."""

    def full_clean(self) -> None:
        super().full_clean()
        if not self.is_bound or not hasattr(self, "cleaned_data"):
            return
        for name, field in self.fields.items():
            value = self.cleaned_data.get(name)
            if isinstance(field, forms.CharField) and isinstance(value, str) and value:
                error = text_error(value, multi_line=isinstance(field.widget, forms.Textarea))
                if error:
                    self.add_error(name, error)


# --- API serializers ----------------------------------------------------------------------------


class InputSerializer(serializers.Serializer):
    """The base of every API input: each text field single-line but for `multi_line_fields`,
    unknown fields refused (the schema says `additionalProperties: false`), and, when no field
    is required, an empty object refused (the schema says `minProperties: 1`)."""

    multi_line_fields: frozenset[str] = frozenset()

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        for name, field in fields.items():
            if isinstance(field, serializers.CharField) and not field.read_only:
                field.validators.append(
                    multi_line_text if name in self.multi_line_fields else single_line_text
                )
        return fields

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(str(key) for key in data if key not in writable)
            if unknown:
                raise serializers.ValidationError(
                    {key[:100]: [gettext("Unknown field.")] for key in unknown[:20]}
                )
            wrong = {
                name: [message]
                for name, value in data.items()
                if value is not None
                and (message := _type_error(self.fields[name], value)) is not None
            }
            if wrong:
                raise serializers.ValidationError(wrong)
            if not data and not any(f.required for f in self.fields.values()):
                raise serializers.ValidationError(
                    {"non_field_errors": [gettext("Send at least one field.")]}
                )
        return super().to_internal_value(data)


# JSON types as the schema states them: DRF would take "5" for a number, 5 for a string and
# "yes" for true, which the schema (and a client reading it) forbids.
_STRING_FIELDS = (
    serializers.CharField,
    serializers.ChoiceField,
    serializers.DateField,
    serializers.DateTimeField,
    serializers.DecimalField,
)


def _type_error(field: serializers.Field, value: Any) -> str | None:
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else gettext("Expected true or false.")
    if isinstance(field, serializers.IntegerField):
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else gettext("Expected a whole number.")
    if isinstance(field, serializers.DecimalField):
        ok = isinstance(value, str) and _DECIMAL.fullmatch(value) is not None
        return None if ok else gettext('Expected a number as a string, like "7.25".')
    if isinstance(field, _STRING_FIELDS):
        return None if isinstance(value, str) else gettext("Expected a string.")
    return None


_DECIMAL = re.compile(r"-?\d+(\.\d+)?")
