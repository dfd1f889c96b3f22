"""Small helpers shared by the applicant tests (fixtures live in conftest.py)."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pypdf import PdfWriter
from pypdf.generic import NameObject, StreamObject

from applications.models import Application, ApplicationEvent


def pdf_bytes(padding: int = 0) -> bytes:
    """A real one-page PDF (attachments are parsed: applications/uploads.py), carrying a stream
    of `padding` bytes when given."""
    writer = PdfWriter()
    writer.pdf_header = b"%PDF-1.4"
    writer.add_blank_page(72, 72)
    if padding:
        stream = StreamObject()
        stream.set_data(b"0" * padding)
        writer.root_object[NameObject("/Padding")] = writer._add_object(stream)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


SMALL_PDF = pdf_bytes()
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64


def pdf(name: str = "plan.pdf", size: int | None = None) -> SimpleUploadedFile:
    """A PDF upload; padded to `size` bytes when given."""
    content: bytes = SMALL_PDF
    if size is not None:
        padding = size - len(pdf_bytes(1)) + 1
        for _ in range(3):  # the digits of the stream's /Length shift the size a little
            content = pdf_bytes(padding)
            padding += size - len(content)
        assert len(content) == size
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def png_named_pdf(name: str = "x.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="application/pdf")


def submitted_events(application: Application) -> int:
    return application.events.filter(kind=ApplicationEvent.Kind.SUBMITTED).count()


def assert_still_draft(application: Application) -> None:
    """Nothing of a submission was saved."""
    application.refresh_from_db()
    assert application.status == Application.Status.DRAFT
    assert application.submitted_at is None
    assert application.expected_decision_by is None
    assert application.cutoff_id is None
    assert submitted_events(application) == 0


def application_values(*, organisation, access_mode, system, **changes: Any) -> dict[str, Any]:
    """Everything a Fast Lane application on `system` needs to pass every rule (`changes` on
    top, e.g. more GPU-hours for a larger mode)."""
    return {
        "organisation": organisation,
        "access_mode": access_mode,
        "system": system,
        "title": "Protein language model fine-tuning",
        "abstract": "We fine-tune a protein language model on public sequences.",
        "ai_domain": "health",
        "workload": "fine_tuning",
        "frameworks": "PyTorch 2.5",
        "gpu_hours": 1000,
        "start_date": timezone.localdate() + timedelta(days=7),
        "duration_months": 2,
        "data_sources": "UniProt",
        "data_licence": "CC BY 4.0",
        "personal_data": False,
        "ai_act_risk": "minimal",
        **changes,
    }
