"""Attachments: PDF by content, at most 10 MB, nothing stored when refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from applications import services
from applications.models import Attachment
from tests.helpers import SMALL_PDF, pdf, png_named_pdf

pytestmark = pytest.mark.django_db

ELEVEN_MB = 11 * 1024 * 1024


def stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def data_step(client, application, upload):
    return client.post(
        f"/applications/{application.pk}/edit/data/",
        {
            "data_sources": "UniProt",
            "personal_data": "no",
            "ai_act_risk": "minimal",
            "attachment": upload,
            "go": "stay",
        },
    )


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            png_named_pdf,
            "x.pdf is not a PDF file (its content is not PDF, whatever its name).",
        ),
        (
            lambda: SimpleUploadedFile("notes.pdf", b"Some text, then %PDF-1.4 later."),
            "notes.pdf is not a PDF file (its content is not PDF, whatever its name).",
        ),
        (
            lambda: pdf("big.pdf", size=ELEVEN_MB),
            "big.pdf is 11.0 MB: attachments may be at most 10 MB.",
        ),
    ],
    ids=["png-named-pdf", "pdf-magic-not-at-start", "eleven-mb"],
)
def test_it_refuses_a_bad_upload_and_stores_nothing(alice, draft, media, upload, message):
    with pytest.raises(ValidationError) as excinfo:
        services.attachment_add(application=draft, actor=alice, upload=upload())

    assert excinfo.value.message_dict == {"attachments": [message]}
    assert not Attachment.objects.exists()
    assert stored_files(media) == []
    assert not draft.events.filter(message__startswith="Attachment").exists()


def test_it_stores_a_small_pdf(alice, draft, media):
    attachment = services.attachment_add(application=draft, actor=alice, upload=pdf("plan.pdf"))

    attachment.refresh_from_db()
    assert (attachment.name, attachment.size) == ("plan.pdf", len(SMALL_PDF))
    assert attachment.file.name == f"applications/{draft.pk}/{attachment.token}.pdf"
    assert stored_files(media) == [media / attachment.file.name]
    assert (media / attachment.file.name).read_bytes() == SMALL_PDF
    assert draft.events.last().message == "Attachment plan.pdf added."


def test_it_accepts_exactly_10_mb(alice, draft, media):
    attachment = services.attachment_add(
        application=draft, actor=alice, upload=pdf(size=10 * 1024 * 1024)
    )

    assert attachment.size == 10 * 1024 * 1024


def test_it_removes_an_attachment_and_its_file(alice, draft, media):
    attachment = services.attachment_add(application=draft, actor=alice, upload=pdf())

    services.attachment_remove(attachment=attachment, actor=alice)

    assert not Attachment.objects.exists()
    assert stored_files(media) == []
    assert draft.events.last().message == "Attachment plan.pdf removed."


# --- Through the data step of the form ------------------------------------------------------------


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (png_named_pdf, "x.pdf is not a PDF file"),
        (lambda: pdf("big.pdf", size=ELEVEN_MB), "big.pdf is 11.0 MB: attachments may be at most"),
    ],
    ids=["png-named-pdf", "eleven-mb"],
)
def test_it_shows_why_the_form_refused_an_upload(client, alice, draft, media, upload, message):
    client.force_login(alice)

    response = data_step(client, draft, upload())

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Attachment.objects.exists()
    assert stored_files(media) == []


def test_it_stores_a_pdf_uploaded_in_the_form(client, alice, draft, media):
    client.force_login(alice)

    response = data_step(client, draft, pdf("work-plan.pdf"))

    assert response.status_code == 302
    assert response["Location"] == f"/applications/{draft.pk}/edit/data/"
    attachment = Attachment.objects.get()
    assert (attachment.application, attachment.name, attachment.uploaded_by) == (
        draft,
        "work-plan.pdf",
        alice,
    )
    page = client.get(response["Location"]).content.decode()
    assert f'href="/applications/{draft.pk}/attachments/{attachment.pk}/">work-plan.pdf</a>' in page
    download = client.get(f"/applications/{draft.pk}/attachments/{attachment.pk}/")
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="work-plan.pdf"'
    assert b"".join(download.streaming_content) == SMALL_PDF


def test_it_deletes_an_attachment_from_the_form(client, alice, draft, media):
    attachment = services.attachment_add(application=draft, actor=alice, upload=pdf())
    client.force_login(alice)

    response = client.post(f"/applications/{draft.pk}/attachments/{attachment.pk}/delete/")

    assert response.status_code == 302
    assert not Attachment.objects.exists()
    assert stored_files(media) == []
