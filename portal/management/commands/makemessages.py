"""Django's makemessages, with msgmerge's fuzzy matching off: a new string arrives empty for its
translators, instead of with a guessed translation of a similar one marked fuzzy (which
tests/portal/test_translations.py would refuse anyway)."""

from __future__ import annotations

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
