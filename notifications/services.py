"""Emails: stored once (unique key), sent by a task after commit, in text and HTML, in the
recipient's language; optional ones as the recipient wants them (off, at once, or in a daily
digest), each with an unsubscribe link and a List-Unsubscribe header."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from notifications import selectors
from notifications import tasks as notification_tasks
from notifications.kinds import DIGEST, KINDS, is_optional, kind_of, may_wait_for_digest
from notifications.models import Notification, NotificationPreference
from portal.mail import email_context, site_url
from portal.tasks import enqueue
from reviews.models import SiteRole

if TYPE_CHECKING:
    from accounts.models import User as UserModel

User = get_user_model()

logger = logging.getLogger(__name__)
# Where an optional email's text ends and its unsubscribe footer starts (the usual signature
# separator, which mail clients grey out); the digest quotes each email without it.
FOOTER_MARK = "-- \n"


# --- Notifications -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """Who an email goes to, and why: staff (superusers, ADMINS) are sent to the admin, a
    site's approvers to the site's pages (they cannot open the admin)."""

    email: str
    name: str
    staff: bool = False
    approver: bool = False


def notification_queue(
    *,
    key: str,
    recipient: str,
    template: str,
    context: dict[str, Any],
    application=None,
    recipient_name: str = "",
) -> Notification | None:
    """Store an email to send once (unique `key`) and enqueue its sending after commit."""
    built = notification_build(
        key=key,
        recipient=recipient,
        template=template,
        context=context,
        application=application,
        recipient_name=recipient_name,
    )
    values = {
        f: getattr(built, f) for f in ("recipient", "subject", "body", "html_body", "application")
    }
    notification, created = Notification.objects.get_or_create(key=built.key, defaults=values)
    if created:
        transaction.on_commit(
            lambda: enqueue(notification_tasks.send_notification, notification.pk)
        )
    return notification


def notification_build(
    *,
    key: str,
    recipient: str,
    template: str,
    context: dict[str, Any],
    application=None,
    recipient_name: str = "",
) -> Notification:
    """An email rendered from its templates (subject, text and HTML) in the recipient's
    language, not saved yet. The greeting names `recipient_name`, or the address when the person
    has no name. An optional kind of email ends with a link to unsubscribe from it."""
    kind = kind_of(key)
    unsubscribe = selectors.unsubscribe_url(recipient, kind) if is_optional(kind) else ""
    context = {
        **email_context(),
        "recipient_name": recipient_name or recipient,
        "unsubscribe_url": unsubscribe,
        "preferences_url": site_url(reverse("notifications:preferences")),
        **context,
    }
    with translation.override(selectors.recipient_language(recipient)):
        # One line: a title with a line break (possible through the API) would otherwise make
        # every email about the application fail (Django refuses newlines in headers).
        subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
        body: str = render_to_string(f"emails/{template}_body.txt", context)
        if unsubscribe:
            footer = render_to_string("emails/_unsubscribe.txt", context)
            body = f"{body.rstrip()}\n\n{FOOTER_MARK}{footer}"
        html_body = render_to_string(f"emails/{template}_body.html", context)
    return Notification(
        key=key[:120],
        kind=kind[:40],
        recipient=recipient,
        subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{subject}"[:200],
        body=body,
        html_body=html_body,
        application=application,
    )


def _delivery(notification: Notification) -> str:
    """How the recipient wants this email: at once, held for their digest, or not at all."""
    kind = notification.kind or kind_of(notification.key)
    if not is_optional(kind) or kind == DIGEST:
        return Notification.Delivery.EMAIL
    preference = selectors.preference_for_address(notification.recipient)
    if preference is not None and kind in preference.turned_off:
        return Notification.Delivery.OFF
    if preference is not None and preference.daily_digest and may_wait_for_digest(kind):
        return Notification.Delivery.DIGEST
    return Notification.Delivery.EMAIL


def notification_send(*, notification_id: int) -> bool:
    """Send one stored email (text, and HTML when stored) unless it was sent already, or hold
    it for the recipient's digest, or drop it when they turned its kind off (as they want it
    when it is sent, not when it was queued). Returns True when it sent now."""
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None or notification.sent_at is not None:
            return False
        delivery = _delivery(notification)
        if delivery == Notification.Delivery.EMAIL:
            notification.attempts += 1
            _message(notification).send()
        notification.delivery = delivery
        notification.sent_at = timezone.now()
        notification.save(update_fields=["attempts", "sent_at", "delivery"])
    return delivery == Notification.Delivery.EMAIL


def _message(notification: Notification) -> EmailMultiAlternatives:
    kind = notification.kind or kind_of(notification.key)
    headers = {}
    if is_optional(kind):
        # RFC 2369: mail clients offer their own unsubscribe button, which opens the link's
        # confirmation page (no RFC 8058 one-click POST: every form outside the API is
        # CSRF-checked, tests/portal/test_security.py).
        url = selectors.unsubscribe_url(notification.recipient, kind)
        headers = {"List-Unsubscribe": f"<{url}>"}
    message = EmailMultiAlternatives(
        notification.subject,
        notification.body,
        settings.DEFAULT_FROM_EMAIL,
        [notification.recipient],
        headers=headers,
    )
    if notification.html_body:
        message.attach_alternative(notification.html_body, "text/html")
    return message


def _full_name(first_name: str, last_name: str) -> str:
    return f"{first_name} {last_name}".strip()  # as User.get_full_name


def user_names(user_ids) -> dict[int, str]:
    """Full names by user id (empty for a user without one): one query, which also reads their
    languages for the emails built next."""
    rows = User.objects.filter(pk__in=set(user_ids)).values_list(
        "pk", "first_name", "last_name", "email", "notification_preference__language"
    )
    names, languages = {}, {}
    for pk, first, last, email, language in rows:
        names[pk] = _full_name(first, last)
        languages[email] = language or ""
    # The emails to them are built next: their languages are read in the same query.
    selectors.remember_languages(languages)
    return names


def notification_recipients(
    *, staff: bool = False, approvers_of: int | None = None
) -> list[Recipient]:
    """Staff (active superusers and settings.ADMINS) and/or the active approvers of a site, one
    entry per address (someone both gets both links), sorted by address."""
    found: dict[str, Recipient] = {}

    def add(email: str, name: str, **role: bool) -> None:
        known = found.get(email)
        found[email] = Recipient(
            email=email,
            name=(known.name if known else "") or name,
            staff=role.get("staff", False) or bool(known and known.staff),
            approver=role.get("approver", False) or bool(known and known.approver),
        )

    languages: dict[str, str] = {}
    if staff:
        for email, first, last, language in User.objects.filter(
            is_superuser=True, is_active=True
        ).values_list("email", "first_name", "last_name", "notification_preference__language"):
            add(email, _full_name(first, last), staff=True)
            languages[email] = language or ""
        for name, email in settings.ADMINS:
            add(email, name, staff=True)
    if approvers_of is not None:
        for email, first, last, language in SiteRole.objects.filter(
            factory_id=approvers_of, role=SiteRole.Role.APPROVER, is_active=True
        ).values_list(
            "user__email", "user__first_name", "user__last_name",
            "user__notification_preference__language",
        ):  # fmt: skip
            add(email, _full_name(first, last), approver=True)
            languages[email] = language or ""
    selectors.remember_languages(languages)  # the emails to them are built next
    return [found[email] for email in sorted(found)]


# --- Preferences ---------------------------------------------------------------------------------


def notification_preferences_update(
    *, user: UserModel, turned_off: list[str], daily_digest: bool, language: str
) -> NotificationPreference:
    """Save which optional emails `user` gets, whether reviewer and approver emails wait for a
    daily digest, and their language. Raises ValidationError, keyed by the kind of email or
    "language", and saves nothing, when a mandatory email is turned off or a value is unknown."""
    errors: dict[str, list[str]] = {}
    for kind in turned_off:
        known = KINDS.get(kind)
        if known is None:
            errors.setdefault("turned_off", []).append(
                gettext("No such kind of email: %(kind)s.") % {"kind": repr(kind)}
            )
        elif known.mandatory:
            # Translators: the email's name, then why it is sent.
            errors[kind] = [
                gettext("%(label)s: this email cannot be turned off. %(why)s")
                % {"label": known.label, "why": known.help}
            ]
    if language and language not in selectors.language_codes():
        errors["language"] = [gettext("No such language: %(code)s.") % {"code": repr(language)}]
    if errors:
        raise ValidationError(errors)
    preference = selectors.preference_for(user=user)
    preference.turned_off = sorted(set(turned_off))
    preference.daily_digest = daily_digest
    preference.language = language
    preference.full_clean()
    preference.save()
    return preference


def notification_language_set(*, user: UserModel, language: str) -> NotificationPreference:
    """Store `user`'s language (the portal's pages after sign-in, and their emails); the other
    preferences stay. Raises ValidationError and saves nothing when the language is unknown."""
    if language not in selectors.language_codes():
        raise ValidationError({"language": [gettext("No such language.")]})
    preference = selectors.preference_for(user=user)
    if preference.language != language or preference._state.adding:
        preference.language = language
        preference.full_clean()
        preference.save()
    return preference


def notification_unsubscribe(*, email: str, kind: str) -> NotificationPreference | None:
    """Turn off one kind of optional email for the account of `email` (the daily digest: every
    kind it carries). None when no account has that address (any more)."""
    user = User.objects.filter(email=email, is_active=True).first()
    if user is None:
        return None
    preference = selectors.preference_for(user=user)
    more = [k for k, known in KINDS.items() if known.digest] if kind == DIGEST else [kind]
    return notification_preferences_update(
        user=user,
        turned_off=sorted(set(preference.turned_off) | set(more)),
        daily_digest=preference.daily_digest,
        language=preference.language,
    )


# --- The daily digest ----------------------------------------------------------------------------


def _quoted(notification: Notification) -> dict[str, str]:
    """What the digest shows of one email: its subject, and its text without the greeting and
    the unsubscribe footer."""
    text = notification.body.split(f"\n{FOOTER_MARK}", 1)[0]
    # The greeting as the emails write it in the recipient's language ("Hello %(name)s,").
    with translation.override(selectors.recipient_language(notification.recipient)):
        greeting = gettext("Hello %(name)s,").split("%(name)s", 1)[0]
    if text.startswith((greeting or "Hello ", "Hello ")):
        text = text.split("\n\n", 1)[-1]
    subject = notification.subject.removeprefix(settings.ACCOUNT_EMAIL_SUBJECT_PREFIX)
    return {"subject": subject, "text": text.strip()}


def notifications_digest_send() -> int:
    """Gather each recipient's held emails into one digest email, queued to send after commit.
    Safe to run twice: the held rows are locked, and each is linked to its digest, whose key
    names the last of them. Returns how many digests were made."""
    with transaction.atomic():
        held = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(delivery=Notification.Delivery.DIGEST, digest__isnull=True)
            .order_by("recipient", "pk")
        )
        by_recipient: dict[str, list[Notification]] = {}
        for notification in held:
            by_recipient.setdefault(notification.recipient, []).append(notification)
        names = {
            email: _full_name(first, last)
            for email, first, last in User.objects.filter(email__in=list(by_recipient)).values_list(
                "email", "first_name", "last_name"
            )
        }
        for recipient, items in by_recipient.items():
            digest = notification_queue(
                key=f"digest:{recipient}:{items[-1].pk}",
                recipient=recipient,
                recipient_name=names.get(recipient, ""),
                template="digest",
                context={"items": [_quoted(n) for n in items]},
            )
            Notification.objects.filter(pk__in=[n.pk for n in items]).update(digest=digest)
    return len(by_recipient)
