"""allauth's emails on the portal's address and name, in text and HTML.

allauth builds its links (email confirmation, password reset, sign-up) from the request, and
names the site after the request's host ("Hello from 127.0.0.1:8101!"). Here every email it
sends names the portal (`PORTAL_SITE_NAME`) and links to `PORTAL_SITE_URL`, like the portal's
own emails (access_requests.review_services), and has an HTML part: from its
`account/email/<name>_message.html` template, or the text wrapped in the shared email layout
when allauth has none (the MFA notifications).

`SocialAccountAdapter` links a sign-in through an OpenID Connect provider to an existing account
only through an address both sides verified.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.core import context as allauth_context
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.http import HttpRequest
from django.template.loader import render_to_string

from portal.mail import email_context, site_url

if TYPE_CHECKING:
    from allauth.socialaccount.models import SocialLogin

    from accounts.models import User

logger = logging.getLogger(__name__)

# Emails whose link a developer needs to follow: logged with DEBUG on (`make run`), so that the
# link can be copied from the console instead of dug out of var/mail/.
DEBUG_LINKS = {
    "account/email/email_confirmation": ("activate_url", "Verification link"),
    "account/email/email_confirmation_signup": ("activate_url", "Verification link"),
    "account/email/password_reset_key": ("password_reset_url", "Password reset link"),
}


def _on_portal_address(value: Any, request_host: str | None) -> Any:
    """A link built for the request (allauth's `build_absolute_uri`), moved to the portal's
    address; anything else unchanged."""
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        return value
    if request_host is not None and urlsplit(value).netloc != request_host:
        return value
    return site_url(value)


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request: HttpRequest) -> str:
        """The client's address, which rate limits count by: the connection's, or behind
        ALLAUTH_TRUSTED_PROXY_COUNT proxies the one the outermost appended to X-Forwarded-For.
        A request with fewer entries than trusted proxies (one that did not come through all
        of them) counts by its connection's address, where allauth would answer 500."""
        try:
            return super().get_client_ip(request)
        except ImproperlyConfigured:
            logger.warning(
                "X-Forwarded-For %r has fewer entries than ALLAUTH_TRUSTED_PROXY_COUNT (%s): "
                "counting the request by its connection's address.",
                request.headers.get("x-forwarded-for"),
                settings.ALLAUTH_TRUSTED_PROXY_COUNT,
            )
            return request.META.get("REMOTE_ADDR") or "0.0.0.0"

    def get_email_confirmation_url(self, request, emailconfirmation) -> str:
        return site_url(super().get_email_confirmation_url(request, emailconfirmation))

    def get_reset_password_from_key_url(self, key: str) -> str:
        return site_url(super().get_reset_password_from_key_url(key))

    def send_notification_mail(
        self,
        template_prefix: str,
        user: User,
        context: dict[str, Any] | None = None,
        email: str | None = None,
    ) -> None:
        # allauth leaves the user out of a notification's context: the greeting needs their name.
        super().send_notification_mail(
            template_prefix, user, {"user": user, **(context or {})}, email
        )

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """As allauth's, with the portal as `current_site` and every link on its address."""
        request = allauth_context.request
        host = request.get_host() if request is not None else None
        # `user` set even when allauth has none (an unknown address), or the signed-in user's
        # name (the context processor's `user`) would greet a stranger.
        ctx: dict[str, Any] = {"request": request, "email": email, "user": None}
        ctx.update(email_context())
        ctx.update({key: _on_portal_address(value, host) for key, value in context.items()})
        ctx["recipient_name"] = str(ctx["user"]) if ctx["user"] is not None else ""
        if settings.DEBUG and template_prefix in DEBUG_LINKS:
            key, what = DEBUG_LINKS[template_prefix]
            if ctx.get(key):
                logger.info("%s for %s: %s", what, email, ctx[key])
        self.render_mail(template_prefix, email, ctx).send()

    def render_mail(self, template_prefix, email, context, headers=None) -> EmailMessage:
        message = super().render_mail(template_prefix, email, context, headers=headers)
        if isinstance(message, EmailMultiAlternatives) and not message.alternatives:
            html = render_to_string("emails/_text_as_html.html", {**context, "text": message.body})
            message.attach_alternative(html, "text/html")
        return message


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def authenticate_by_email(self, sociallogin: SocialLogin) -> tuple[User, str] | None:
        """The existing account a first sign-in through a provider is linked to, or None.

        Only when the provider says the address is verified (`email_verified`), the provider
        allows linking (`email_authentication`, OIDC_<ID>_LINK_BY_EMAIL) and the portal's
        account has verified that same address too. allauth would also take an account whose
        address was never verified (and wipe its password): here that account stays apart, and
        the person is offered a new account with a warning (templates/socialaccount/signup.html).
        """
        for address in sociallogin.email_addresses:
            if not address.verified or not self.can_authenticate_by_email(
                sociallogin, address.email
            ):
                continue
            found = (
                EmailAddress.objects.filter(email__iexact=address.email, verified=True)
                .select_related("user")
                .first()
            )
            if found is not None:
                return found.user, found.email
        return None
