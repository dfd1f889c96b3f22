"""The translation catalogues (locale/<lang>/LC_MESSAGES/django.po): every language of
settings.LANGUAGES but English has one, with every string translated (none fuzzy), the same
placeholders in each translation as in its English text, and a compiled .mo that says the same
as its .po (the .mo files are committed: `make compilemessages`)."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "locale"
LANGUAGES = [code for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE]

# %(name)s, %s, %d, %%: Python's formatting (without the space flag: "50 % sure" holds none);
# {name}: str.format and JavaScript-like templates.
_PERCENT = re.compile(r"%(?:\([^)]+\))?[-#0+]*\d*(?:\.\d+)?[sdifr%]")
_BRACES = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


def _catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"), wrapwidth=0)


def placeholders(text: str) -> list[str]:
    return sorted(_PERCENT.findall(text) + _BRACES.findall(text))


def _translations(entry: polib.POEntry) -> list[tuple[str, str]]:
    """(English, translation) pairs: one, or one per plural form (each plural form against the
    English plural, whose placeholders the singular may leave out, e.g. a count of one)."""
    if entry.msgid_plural:
        return [
            (entry.msgid_plural if index else entry.msgid, text)
            for index, text in sorted(entry.msgstr_plural.items())
        ]
    return [(entry.msgid, entry.msgstr)]


def _named(entry: polib.POEntry) -> str:
    where = ", ".join(sorted({path for path, _ in entry.occurrences}))
    context = f" [{entry.msgctxt}]" if entry.msgctxt else ""
    return f"{entry.msgid!r}{context} ({where})"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_a_catalogue(language):
    po = LOCALE / language / "LC_MESSAGES" / "django.po"

    assert po.is_file(), f"no {po}: run `make messages`"
    assert _catalogue(language).metadata.get("Language") == language


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_is_translated(language):
    po = _catalogue(language)

    missing = [_named(e) for e in po if not e.obsolete and not e.translated() and not e.fuzzy]
    fuzzy = [_named(e) for e in po.fuzzy_entries()]

    assert fuzzy == [], f"{language}: {len(fuzzy)} fuzzy translations to check"
    assert missing == [], f"{language}: {len(missing)} strings not translated"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_translation_keeps_the_placeholders(language):
    broken = [
        f"{_named(entry)}: {placeholders(english)} → {placeholders(text)}"
        for entry in _catalogue(language)
        if not entry.obsolete
        for english, text in _translations(entry)
        if text
        and placeholders(text) != placeholders(english)
        # a plural form for one may say "one" instead of the count
        and not (entry.msgid_plural and set(placeholders(text)) < set(placeholders(english)))
    ]

    assert broken == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_says_what_the_catalogue_says(language):
    """Compared by content, not by file times (a checkout gives both files the same age): every
    translation of the .po (not fuzzy, not empty) in the .mo, and nothing else."""
    mo_path = LOCALE / language / "LC_MESSAGES" / "django.mo"
    assert mo_path.is_file(), f"no {mo_path}: run `make compilemessages`"

    def key(entry: polib.POEntry) -> tuple[str | None, str, str]:
        return (entry.msgctxt or None, entry.msgid, entry.msgid_plural or "")

    def value(entry: polib.POEntry) -> object:
        if entry.msgid_plural:
            return tuple(text for _, text in sorted(entry.msgstr_plural.items()))
        return entry.msgstr

    po = {key(e): value(e) for e in _catalogue(language) if e.translated() and not e.obsolete}
    mo = {key(e): value(e) for e in polib.mofile(str(mo_path)) if e.msgid}

    stale = sorted(str(k) for k in po.keys() ^ mo.keys()) + sorted(
        str(k) for k in po.keys() & mo.keys() if po[k] != mo[k]
    )
    assert stale == [], f"{language}: run `make compilemessages`"


def test_the_placeholder_check_sees_a_broken_translation():
    english = "%(count)s GPU-hours on {system} (%s)"

    assert placeholders(english) == placeholders("{system}: %(count)s GPU-Stunden (%s)")
    assert placeholders(english) != placeholders("%(anzahl)s GPU-Stunden auf {system} (%s)")
    assert placeholders(english) != placeholders("%(count)d GPU-Stunden auf {system}")
    assert placeholders("100 %% sicher") == ["%%"]
