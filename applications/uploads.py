"""What an attachment may be: a PDF (by content, parsed with pypdf) with no active content, under
a name that is safe to store, show and serve.

Refused, each with its own message: a file that is not a PDF or cannot be parsed, an encrypted
one (its content cannot be checked), and one carrying JavaScript (an /OpenAction or any other
action, a /JavaScript name tree), a launch action (a program or file started by the reader) or
embedded files (attachments inside the PDF, rich media). The whole object graph is walked, object
streams included, with the names decoded (`/J#61vaScript` is `/JavaScript`).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from typing import IO, TYPE_CHECKING, Any

from django.http import FileResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from pypdf import PdfReader
from pypdf.errors import PdfReadError, PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

if TYPE_CHECKING:
    from applications.models import Attachment

PDF_MAGIC = b"%PDF-"
# A PDF of 10 MB has some thousands of objects; past this it is refused rather than walked.
MAX_OBJECTS = 200_000

# Keys and action types, and what each means to the applicant (lazy: made a str in the
# request's language where the refusal is built). Each follows the file's name.
_JAVASCRIPT = _("contains JavaScript")
_LAUNCH = _("contains a launch action (it could start a program)")
_EMBEDDED = _("contains embedded files")
ACTIVE_KEYS = {
    "/JS": _JAVASCRIPT,
    "/JavaScript": _JAVASCRIPT,
    "/EmbeddedFiles": _EMBEDDED,
    "/EmbeddedFile": _EMBEDDED,
    "/RichMedia": _EMBEDDED,
    "/RichMediaContent": _EMBEDDED,
    "/Launch": _LAUNCH,
}
ACTIVE_ACTIONS = {
    "/JavaScript": _JAVASCRIPT,
    "/Launch": _LAUNCH,
    "/GoToE": _EMBEDDED,
    "/RichMediaExecute": _EMBEDDED,
}
ACTIVE_TYPES = {"/EmbeddedFile": _EMBEDDED, "/Filespec": _EMBEDDED}


def safe_name(name: str | None) -> str:
    """A base name that is safe to store, show and serve, always ending in `.pdf`.

    `../../etc/passwd` gives `passwd.pdf`, `invoice.pdf.exe` gives `invoice_pdf_exe.pdf`, and
    control characters, bidi overrides and anything but letters, digits, spaces, `-`, `_`, `(`
    and `)` are dropped (an RTL override would make `gnp.exe` read as `exe.png`).
    """
    base = re.split(r"[/\\]", unicodedata.normalize("NFKC", name or ""))[-1]
    stem = re.sub(r"\.pdf$", "", base.strip(), flags=re.IGNORECASE)
    kept = "".join(
        c if (c.isalnum() or c in " -_()") and unicodedata.category(c)[0] != "C" else "_"
        for c in stem.replace(".", "_")
    )
    kept = re.sub(r"_+", "_", re.sub(r"\s+", " ", kept)).strip(" _")[:100]
    return f"{kept or 'attachment'}.pdf"


def pdf_error(upload: IO[bytes], name: str) -> str | None:
    """Why `upload` cannot be an attachment, or None. Reads it and puts it back at the start."""
    upload.seek(0)
    head = upload.read(1024)
    upload.seek(0)
    if not head.startswith(PDF_MAGIC):
        return gettext(
            "%(name)s is not a PDF file (its content is not PDF, whatever its name)."
        ) % {"name": name}
    try:
        problem = _active_content(upload)
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, RecursionError):
        problem = gettext("cannot be read as a PDF (it is damaged or not a real PDF)")
    finally:
        upload.seek(0)
    if not problem:
        return None
    # Translators: "problem" says what the file holds, e.g. "contains JavaScript".
    return gettext("%(name)s %(problem)s: it cannot be attached.") % {
        "name": name,
        "problem": problem,
    }


def _active_content(upload: IO[bytes]) -> str | None:
    # pypdf logs every repair of a damaged file as a warning: a refused upload is the answer.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    reader = PdfReader(upload, strict=False)
    if reader.is_encrypted:
        return gettext("is encrypted (password-protected), so its content cannot be checked")
    return _walk(reader.trailer)


def _walk(root: Any) -> str | None:
    """The first kind of active content reachable from `root`, or None."""
    seen: set[tuple[int, int]] = set()
    stack: list[Any] = [root]
    visited = 0
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            item = item.get_object()
        visited += 1
        if visited > MAX_OBJECTS:
            return gettext("has too many objects to be checked")
        if isinstance(item, DictionaryObject):
            problem = _dictionary_problem(item)
            if problem:
                return problem
            stack.extend(item.values())
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return None


def _dictionary_problem(item: DictionaryObject) -> str | None:
    for key in item:
        if key in ACTIVE_KEYS:
            return str(ACTIVE_KEYS[key])
    action = item.get("/S")
    if action in ACTIVE_ACTIONS:
        return str(ACTIVE_ACTIONS[str(action)])
    kind = item.get("/Type")
    if kind in ACTIVE_TYPES and ("/EF" in item or kind == "/EmbeddedFile"):
        return str(ACTIVE_TYPES[str(kind)])
    if "/EF" in item:
        return str(_EMBEDDED)
    return None


def attachment_response(attachment: Attachment) -> FileResponse:
    """The attachment as a download, never shown inline: `Content-Disposition: attachment` with
    its safe name, the PDF type, and `X-Content-Type-Options: nosniff`."""
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=safe_name(attachment.name),
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
