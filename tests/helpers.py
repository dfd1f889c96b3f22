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
        # The call form's single answers (issue 11, point 5): what AI for Science asks too.
        **ETHICS_ANSWERS,
        "pi_contract_permanent": True,
        "fcfs_consent": True,
        **changes,
    }


ETHICS_ANSWERS = {
    "ethics_human_agency": "A person reviews every prediction before it is used.",
    "ethics_privacy": "Public sequences only; no personal data.",
    "ethics_fairness": "We report accuracy per protein family.",
    "ethics_wellbeing": "We measure and publish the energy used.",
    "ethics_transparency": "Model card and code are published.",
    "ethics_accountability": "The PI answers for the model's release.",
}


def call_form_parts(application: Application, actor: Any) -> None:
    """The call form's lists that AI for Science asks for, matching the application's GPU-hours
    on a system whose GPUs per node are not published: one whole-system line in node-hours with
    its GPU-hours, and two milestones adding up to the node-hours."""
    from applications import call_form_services

    gpu_hours = application.gpu_hours or 0
    node_hours = gpu_hours // 4
    line = {"node_hours": node_hours, "gpu_hours": gpu_hours, "parallel_jobs": 2,
            "gpus_per_job": 4, "memory_gb": 256, "storage_tb": 5,
            "checkpoint_hours": 2}  # fmt: skip
    call_form_services.resource_lines_set(application=application, actor=actor, lines=[line])
    half = node_hours // 2
    milestones = [
        {"title": "Baseline", "month": 1, "hours": half},
        {"title": "Full training", "month": 2, "hours": node_hours - half},
    ]
    call_form_services.milestones_set(application=application, actor=actor, milestones=milestones)
