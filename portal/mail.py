"""The portal's one address for links in emails, and where development emails go.

Every email (the portal's own and allauth's) links to `settings.PORTAL_SITE_URL`, never to the
host a request happened to arrive on: a mail sent by a Celery worker has no request, and one
sent while the portal is reached through another port or a proxy must still link to the address
people use.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage
from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PortalSite:
    """What allauth's templates read as `current_site`: the portal's name and address."""

    name: str
    domain: str


def site_url(path: str = "") -> str:
    """`path` (from `reverse`, or a URL built for some request) on the portal's public address.

    An absolute URL keeps its path, query and fragment and takes the portal's scheme and host;
    a portal served under a path (`https://example.eu/portal`) gets that prefix, unless the path
    has it already (a request through a proxy that sets SCRIPT_NAME).
    """
    base = urlsplit(settings.PORTAL_SITE_URL)
    prefix = base.path.rstrip("/")
    bits = urlsplit(path)
    where = bits.path or "/"
    if prefix and where != prefix and not where.startswith(f"{prefix}/"):
        where = prefix + where
    return urlunsplit((base.scheme, base.netloc, where, bits.query, bits.fragment))


def portal_site() -> PortalSite:
    return PortalSite(
        name=settings.PORTAL_SITE_NAME, domain=urlsplit(settings.PORTAL_SITE_URL).netloc
    )


def email_context() -> dict[str, object]:
    """What every email template may use: the portal's address and name."""
    return {
        "site_url": settings.PORTAL_SITE_URL,
        "site_name": settings.PORTAL_SITE_NAME,
        "current_site": portal_site(),
    }


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "email"


class FilePerEmailBackend(BaseEmailBackend):
    """Development mail: each message in its own `.eml` file under `EMAIL_FILE_PATH`.

    Django's file backend writes every message of one connection into one file, named by the
    second and the backend's `id()`: two mails sent in the same second can end up in one file
    once the first backend is garbage-collected. Here each message gets a file named by the
    time, a random part and its subject, which any mail client opens.
    """

    def __init__(self, *args, file_path: str | Path | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.file_path = Path(file_path or settings.EMAIL_FILE_PATH)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        self.file_path.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S-%f")
            name = f"{stamp}-{uuid.uuid4().hex[:8]}-{_slug(str(message.subject))}.eml"
            path = self.file_path / name
            path.write_bytes(message.message().as_bytes())
            logger.info("Email to %s written to %s", ", ".join(message.to), path)
            sent += 1
        return sent
