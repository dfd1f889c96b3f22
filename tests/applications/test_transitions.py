"""Every status change goes through `application_transition` (the transition map, then the
event, in one transaction), and the database refuses a submitted application that lacks what
every later step reads."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from applications.models import Application, ApplicationEvent, ApplicationStatus
from applications.services import application_transition

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_it_refuses_a_move_the_map_does_not_allow_and_changes_nothing(draft):
    events = draft.events.count()

    with pytest.raises(ValidationError, match="draft cannot become approved"):
        application_transition(
            draft, to_status=ApplicationStatus.APPROVED, actor=None, kind="approved"
        )

    draft.refresh_from_db()
    assert draft.status == ApplicationStatus.DRAFT
    assert draft.events.count() == events


def test_it_moves_saves_and_writes_the_event(submitted, alice):
    event = application_transition(
        submitted,
        to_status=ApplicationStatus.WITHDRAWN,
        actor=alice,
        kind=ApplicationEvent.Kind.WITHDRAWN,
        message="Changed our plans.",
    )

    submitted.refresh_from_db()
    assert submitted.status == ApplicationStatus.WITHDRAWN
    assert (event.from_status, event.to_status, event.actor) == ("submitted", "withdrawn", alice)


def test_the_database_refuses_a_submitted_application_without_a_system(submitted):
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.filter(pk=submitted.pk).update(system=None)


def test_the_database_refuses_a_submitted_application_without_a_title(submitted):
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.filter(pk=submitted.pk).update(title="")


def test_a_draft_may_be_incomplete(draft):
    Application.objects.filter(pk=draft.pk).update(system=None, title="")

    draft.refresh_from_db()
    assert draft.system is None


def test_no_code_but_the_transition_functions_sets_an_applications_status():
    """Read from the source: `application.status = …` and `….update(status=…)` on applications
    appear only in applications/services.py."""
    found = []
    for package in ("applications", "reviews", "allocations", "notifications", "portal"):
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts or path == ROOT / "applications" / "services.py":
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                targets = node.targets if isinstance(node, ast.Assign) else []
                for target in targets:
                    if (
                        isinstance(target, ast.Attribute)
                        and target.attr == "status"
                        and isinstance(target.value, ast.Name)
                        and "application" in target.value.id
                    ):
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "update"
                    and any(k.arg == "status" for k in node.keywords)
                    and "Application.objects" in ast.unparse(node.func.value)
                ):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []
