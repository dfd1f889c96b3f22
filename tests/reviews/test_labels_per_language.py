"""The lists' status labels are translated once per language, not once per row: the same
plain dict for every row of every page in one language, another for another language."""

from __future__ import annotations

from django.utils import translation

from applications.display import NEXT_STEP_TEXT, STATUS_LABELS, PerLanguage
from applications.models import ApplicationStatus


def test_the_texts_are_built_once_per_language():
    built: list[str | None] = []

    def source():
        built.append(translation.get_language())
        return {"open": translation.gettext_lazy("Monday")}

    labels = PerLanguage(source)
    with translation.override("en"):
        first = labels.current()
        assert labels.current() is first
        assert labels["open"] == "Monday"
    with translation.override("de"):
        assert labels.current() is not first
        assert labels["open"] == "Montag"  # from Django's own German catalogue
    with translation.override("en"):
        assert labels.current() is first
    assert built == ["en", "de"]


def test_the_status_labels_and_next_steps_read_as_before_in_english():
    with translation.override("en"):
        assert STATUS_LABELS[ApplicationStatus.DRAFT] == ApplicationStatus.DRAFT.label
        assert set(STATUS_LABELS) == set(ApplicationStatus.values)
        assert NEXT_STEP_TEXT[ApplicationStatus.DRAFT] == "Complete the form and submit it."
        assert all(isinstance(text, str) for text in NEXT_STEP_TEXT.current().values())
