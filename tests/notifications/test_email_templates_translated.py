"""Every email's subject and bodies are written for translation: each template loads i18n and
has its text in translate/blocktranslate tags (no English sentence outside them), and GPU-hours
are grouped (intcomma) wherever an email shows them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

EMAILS = Path(__file__).resolve().parents[2] / "templates" / "emails"
TEMPLATES = sorted(
    path for path in EMAILS.iterdir() if re.search(r"_(subject|body)\.(txt|html)$", path.name)
)
SUFFIXES = ("subject.txt", "body.txt", "body.html")
TAG = re.compile(r"\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}", re.S)
BLOCK = re.compile(r"\{% blocktranslate.*?%\}.*?\{% endblocktranslate %\}", re.S)


def test_every_email_has_a_subject_and_two_bodies():
    names = {path.name for path in TEMPLATES}
    subjects = [name.removesuffix("_subject.txt") for name in names if "_subject" in name]
    assert len(subjects) >= 21
    assert names == {f"{e}_{part}" for e in subjects for part in SUFFIXES}


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: path.name)
def test_no_words_outside_translation_tags(path):
    source = path.read_text()
    assert "{% load i18n" in source
    leftover = TAG.sub(" ", BLOCK.sub(" ", source))
    leftover = re.sub(r"<[^>]+>", " ", leftover)  # HTML tags
    words = re.findall(r"[A-Za-z]{3,}", leftover)
    assert not words, f"{path.name}: {words}"


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: path.name)
def test_gpu_hours_are_grouped(path):
    shown = r"(?:\{\{ |=)([\w.]*gpu_hours[^}%\s]*)"  # printed, or named in a blocktranslate
    for value in re.findall(shown, path.read_text()):
        assert "|intcomma" in value, f"{path.name}: {value}"
