"""Uploads that cannot carry active content (applications/uploads.py): PDFs with JavaScript,
launch actions or embedded files refused with a message, whatever hides them (an /OpenAction,
a page's additional actions, the /Names tree, an object stream, a hex-escaped name); names kept
to a safe base name ending in .pdf; downloads served as attachments, never sniffed."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    TextStringObject,
)

from applications import services
from applications.models import Attachment
from applications.uploads import pdf_error, safe_name
from tests.helpers import SMALL_PDF

pytestmark = pytest.mark.django_db


def pdf_with(
    *,
    open_action: str | None = None,
    page_action: str | None = None,
    javascript_names: bool = False,
    embedded_file: bool = False,
    compress: bool = False,
) -> bytes:
    """A real one-page PDF with the active content asked for."""
    writer = PdfWriter()
    writer.pdf_header = b"%PDF-1.5"
    page = writer.add_blank_page(72, 72)
    if open_action == "/JavaScript":
        action = {"/S": NameObject("/JavaScript"), "/JS": TextStringObject("app.alert(1)")}
    elif open_action == "/Launch":
        action = {"/S": NameObject("/Launch"), "/F": TextStringObject("calc.exe")}
    else:
        action = None
    if action:
        writer.root_object[NameObject("/OpenAction")] = writer._add_object(
            DictionaryObject({NameObject(k): v for k, v in action.items()})
        )
    if page_action:
        on_open = DictionaryObject(
            {NameObject("/S"): NameObject(page_action), NameObject("/JS"): TextStringObject("1")}
        )
        page[NameObject("/AA")] = DictionaryObject({NameObject("/O"): on_open})
    if javascript_names:
        writer.root_object[NameObject("/Names")] = DictionaryObject(
            {NameObject("/JavaScript"): DictionaryObject({NameObject("/Names"): ArrayObject()})}
        )
    if embedded_file:
        stream = DecodedStreamObject()
        stream.set_data(b"MZ\x90\x00 an executable")
        stream[NameObject("/Type")] = NameObject("/EmbeddedFile")
        spec = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Filespec"),
                NameObject("/F"): TextStringObject("payload.exe"),
                NameObject("/EF"): DictionaryObject({NameObject("/F"): writer._add_object(stream)}),
            }
        )
        tree = DictionaryObject(
            {NameObject("/Names"): ArrayObject([TextStringObject("payload.exe"), spec])}
        )
        writer.root_object[NameObject("/Names")] = DictionaryObject(
            {NameObject("/EmbeddedFiles"): tree}
        )
    if compress:
        writer.compress_identical_objects()
        writer._use_object_streams = True  # type: ignore[attr-defined]
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (lambda: pdf_with(open_action="/JavaScript"), "contains JavaScript"),
        (lambda: pdf_with(open_action="/Launch"), "contains a launch action"),
        (lambda: pdf_with(page_action="/JavaScript"), "contains JavaScript"),
        (lambda: pdf_with(javascript_names=True), "contains JavaScript"),
        (lambda: pdf_with(embedded_file=True), "contains embedded files"),
        (lambda: pdf_with(open_action="/JavaScript", compress=True), "contains JavaScript"),
        (
            lambda: pdf_with(open_action="/JavaScript").replace(b"/JavaScript", b"/J#61vaScript"),
            "contains JavaScript",
        ),
        (lambda: b"%PDF-1.7\n garbage that is no PDF", "cannot be read as a PDF"),
    ],
    ids=["open-action-js", "launch", "page-action-js", "names-js", "embedded", "object-stream",
         "hex-escaped-name", "unparseable"],
)  # fmt: skip
def test_it_refuses_a_pdf_with_active_content_and_stores_nothing(
    alice, draft, media, content, problem
):
    upload = SimpleUploadedFile("plan.pdf", content(), content_type="application/pdf")

    with pytest.raises(ValidationError) as excinfo:
        services.attachment_add(application=draft, actor=alice, upload=upload)

    (message,) = excinfo.value.message_dict["attachments"]
    assert message.startswith(f"plan.pdf {problem}")
    assert message.endswith(": it cannot be attached.")
    assert not Attachment.objects.exists()
    assert not [p for p in media.rglob("*") if p.is_file()] if media.exists() else True


def test_it_accepts_a_plain_pdf():
    assert pdf_error(io.BytesIO(SMALL_PDF), "plan.pdf") is None
    assert pdf_error(io.BytesIO(pdf_with()), "plan.pdf") is None


def test_it_shows_the_refusal_on_the_data_step(client, alice, draft, media):
    client.force_login(alice)
    upload = SimpleUploadedFile("plan.pdf", pdf_with(open_action="/JavaScript"))

    response = client.post(
        f"/applications/{draft.pk}/edit/data/",
        {"data_sources": "UniProt", "personal_data": "no", "attachment": upload, "go": "stay"},
    )

    assert response.status_code == 200
    assert "plan.pdf contains JavaScript: it cannot be attached." in response.content.decode()
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("plan.pdf", "plan.pdf"),
        ("Project plan (v2).PDF", "Project plan (v2).pdf"),
        ("../../etc/passwd", "passwd.pdf"),
        ("C:\\Users\\x\\report.pdf", "report.pdf"),
        ("invoice.pdf.exe", "invoice_pdf_exe.pdf"),
        ("Invoice \u202egnp.exe", "Invoice _gnp_exe.pdf"),
        ("tab\tand\nnewline.pdf", "tab_and_newline.pdf"),
        (".htaccess", "htaccess.pdf"),
        ("", "attachment.pdf"),
        ("Übersicht \u2013 Plan.pdf", "Übersicht _ Plan.pdf"),
    ],
)
def test_it_keeps_only_a_safe_base_name_ending_in_pdf(sent, kept):
    assert safe_name(sent) == kept


def test_it_stores_and_serves_the_safe_name_as_an_attachment(client, alice, draft, media):
    upload = SimpleUploadedFile("report.exe", SMALL_PDF, content_type="application/pdf")
    attachment = services.attachment_add(application=draft, actor=alice, upload=upload)
    client.force_login(alice)

    response = client.get(f"/applications/{draft.pk}/attachments/{attachment.pk}/")

    assert attachment.name == "report_exe.pdf"
    assert attachment.file.name.endswith(f"{attachment.token}.pdf")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="report_exe.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_it_serves_an_old_unsafe_name_safely(client, alice, draft, media):
    attachment = services.attachment_add(
        application=draft, actor=alice, upload=SimpleUploadedFile("plan.pdf", SMALL_PDF)
    )
    Attachment.objects.filter(pk=attachment.pk).update(name="evil\u202egnp.exe")
    client.force_login(alice)

    response = client.get(f"/applications/{draft.pk}/attachments/{attachment.pk}/")

    assert response["Content-Disposition"] == 'attachment; filename="evil_gnp_exe.pdf"'
