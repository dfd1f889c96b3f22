"""The review form's labels say what each field is: no two visible labels alike, none a bare
field name ("Ai innovation", four "Justification"s), each field with its own help text; the
page a reviewer opens shows them."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from reviews.forms import DecisionForm, DeclineForm, ReviewForm
from tests.fixtures.reviews import login


def bare_name(name: str) -> str:
    """What Django would label a field with no label of its own."""
    return name.replace("_", " ").capitalize()


@pytest.mark.parametrize("form_class", [ReviewForm, DeclineForm, DecisionForm])
def test_no_two_labels_alike_and_none_a_bare_field_name(form_class):
    form = form_class()
    labels = {name: str(field.label) for name, field in form.fields.items()}
    assert len(set(labels.values())) == len(labels), labels
    for name, label in labels.items():
        assert label != bare_name(name), f"{name} is labelled with its bare name: {label!r}"


def test_the_review_forms_labels_name_what_they_ask_for():
    labels = {name: str(field.label) for name, field in ReviewForm().fields.items()}
    assert labels["ai_innovation"] == "AI innovation and impact (score)"
    assert labels["ai_innovation_note"] == "Justification of the AI-innovation score"
    assert labels["recommended_gpu_hours"] == "Recommended GPU-hours"
    assert not [label for label in labels.values() if label == "Justification"]


def test_every_review_field_has_its_own_help_text():
    help_texts = [str(field.help_text) for field in ReviewForm().fields.values()]
    assert all(help_texts)
    assert len(set(help_texts)) == len(help_texts)


@pytest.mark.django_db
def test_the_reviewer_reads_distinct_labels_on_the_page(client, routed):
    assignment = routed.assignments.first()
    page = (
        login(client, assignment.reviewer)
        .get(reverse("review:assignment-detail", args=[assignment.pk]))
        .content.decode()
    )
    form = page[page.index("Your review") : page.index("Submit the review")]
    labels = re.findall(r"<label[^>]*>\s*([^<]+?)\s*<", form)
    assert len(labels) == len(ReviewForm.Meta.fields)
    assert len(set(labels)) == len(labels), labels
    assert "Justification of the AI-innovation score" in labels
