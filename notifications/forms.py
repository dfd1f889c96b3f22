"""The email preferences form: one checkbox per kind of email, the digest, the language."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from notifications.kinds import KINDS
from notifications.models import NotificationPreference


def field_name(kind: str) -> str:
    return f"email_{kind.replace('-', '_')}"


class PreferencesForm(forms.Form):
    """Checked: the email is sent. A mandatory email unchecked is refused by the service (its
    message shown on its checkbox), not silently kept."""

    daily_digest = forms.TypedChoiceField(
        label=_("Reviewer and approver emails"),
        choices=[("0", _("As they happen")), ("1", _("Once a day, in one digest"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        help_text=_(
            "The portal's pages after you sign in, and its emails to you. The language chosen "
            "at the foot of every page is saved here too."
        ),
    )

    def __init__(self, *args, preference: NotificationPreference, digest: bool, **kwargs):
        super().__init__(*args, **kwargs)
        language = self.fields["language"]
        assert isinstance(language, forms.ChoiceField)
        language.choices = [("", _("Your browser's language")), *settings.LANGUAGES]
        for kind in KINDS.values():
            self.fields[field_name(kind.key)] = forms.BooleanField(
                label=kind.label,
                required=False,
                initial=kind.mandatory or kind.key not in preference.turned_off,
                help_text=kind.help,
            )
        self.initial.setdefault("daily_digest", "1" if preference.daily_digest else "0")
        self.initial.setdefault("language", preference.language)
        if not digest:  # only reviewers, approvers and staff get emails that may wait
            del self.fields["daily_digest"]

    def email_fields(self) -> list[forms.BoundField]:
        return [self[field_name(kind)] for kind in KINDS]

    def turned_off(self) -> list[str]:
        return [kind for kind in KINDS if not self.cleaned_data.get(field_name(kind))]
