"""An email backend for worker processes started by the fault tests: one line per message sent,
appended to the file named by FAULTS_MAIL_LOG, so that the test counts real sends, including
those of a worker it killed.

Use: DJANGO_EMAIL_BACKEND=tests.mail_log.EmailBackend FAULTS_MAIL_LOG=/tmp/x
"""

from __future__ import annotations

import hashlib
import os

from django.core.mail.backends.base import BaseEmailBackend


def _line(message) -> str:
    digest = hashlib.sha256(message.body.encode()).hexdigest()[:16]
    return f"{','.join(message.to)}\t{digest}\t{message.subject}".replace("\n", " ") + "\n"


class EmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        path = os.environ["FAULTS_MAIL_LOG"]
        # One write per line in append mode, flushed at once: a line is there or it is not,
        # even when the process is killed right after.
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            for message in email_messages:
                os.write(fd, _line(message).encode())
        finally:
            os.close(fd)
        return len(email_messages)
