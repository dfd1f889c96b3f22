"""Signing in with MyAccessID (OpenID Connect) in Chromium, against a real OpenID provider.

The provider is panva's oidc-provider on Node (tests/oidc/provider.mjs), started once for the
session; the portal is configured for it as settings.py would be from the environment, with the
MyAccessID preset (accounts keyed on `voperson_id`).
"""

from __future__ import annotations

import re
import time

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from allauth.socialaccount.models import SocialAccount
from django.core import mail
from playwright.sync_api import Page, expect

from accounts.models import User
from tests.accounts.conftest import PROVIDER_ACCOUNTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NORA_ID = PROVIDER_ACCOUNTS["nora"]["voperson_id"]
WARNING = "Do you already have a portal account?"


def sign_in_with_myaccessid(page: Page, base: str, login: str) -> None:
    """From the portal's sign-in page through the provider's sign-in and consent pages."""
    page.goto(base + "/accounts/login/")
    page.get_by_role("button", name="Sign in with MyAccessID").click()
    page.locator('input[name="login"]').fill(login)
    page.locator('input[name="password"]').fill("any password: the test provider takes any")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()  # consent to the scopes


def sign_out(page: Page, base: str) -> None:
    page.goto(base + "/accounts/logout/")
    page.get_by_role("button", name="Sign Out").click()
    page.context.clear_cookies()  # the provider's session too: the next sign-in starts over


def test_it_signs_a_new_user_in_through_the_provider(live_server, page: Page, myaccessid):
    base = live_server.url

    sign_in_with_myaccessid(page, base, "nora")

    expect(page.get_by_role("heading", level=1)).to_have_text("Create your portal account")
    expect(page.get_by_text(WARNING)).to_be_visible()
    expect(page.get_by_label("Given name")).to_have_value("Nora")
    expect(page.get_by_label("Family name")).to_have_value("Neural")
    expect(page.get_by_label("Email")).to_have_value("nora@example.org")
    assert not User.objects.filter(email="nora@example.org").exists()
    page.get_by_role("button", name="Create a new account").click()

    expect(page).to_have_url(base + "/applications/")
    user = User.objects.get(email="nora@example.org")
    assert (user.first_name, user.last_name) == ("Nora", "Neural")
    assert not user.has_usable_password()
    account = SocialAccount.objects.get(user=user)
    assert (account.provider, account.uid) == ("myaccessid", NORA_ID)
    # The provider verified the address: no verification email to follow.
    assert EmailAddress.objects.get(user=user).verified

    # Keyed on the persistent identifier: a new address at the provider is the same person
    # (and the identifier's scope in other letter case too: it is compared ignoring case).
    sign_out(page, base)
    changed = {
        "email": "nora@new.example",
        "voperson_id": NORA_ID.replace("myaccessid", "MyAccessID"),
    }
    myaccessid.set_accounts({**PROVIDER_ACCOUNTS, "nora": {**PROVIDER_ACCOUNTS["nora"], **changed}})
    sign_in_with_myaccessid(page, base, "nora")

    expect(page).to_have_url(base + "/applications/")
    expect(page.get_by_role("button", name="Nora Neural")).to_be_visible()
    assert User.objects.count() == 1
    assert SocialAccount.objects.get().user == user


def test_it_links_an_existing_verified_account(live_server, page: Page, myaccessid, applicant):
    base = live_server.url

    sign_in_with_myaccessid(page, base, "alice")

    # Straight in as the existing account: no new-account form.
    expect(page).to_have_url(base + "/applications/")
    expect(page.get_by_role("button", name=str(applicant))).to_be_visible()
    account = SocialAccount.objects.get()
    assert (account.user, account.uid) == (applicant, PROVIDER_ACCOUNTS["alice"]["voperson_id"])
    assert User.objects.count() == 1
    applicant.refresh_from_db()
    assert applicant.has_usable_password()  # the address was verified: the password stays


def test_it_does_not_link_an_address_the_provider_did_not_verify(
    live_server, page: Page, myaccessid, other_applicant
):
    """Refusal: bob@example.org is verified in the portal, but the provider says its address is
    unverified. Not linked: the new-account form is offered, with the warning, and it refuses
    the taken address (a second account needs another address, verified by email)."""
    base = live_server.url

    sign_in_with_myaccessid(page, base, "mallory")

    expect(page.get_by_role("heading", level=1)).to_have_text("Create your portal account")
    expect(page.get_by_text(WARNING)).to_be_visible()
    page.get_by_role("button", name="Create a new account").click()

    # The portal does not say whether the address has an account (allauth's enumeration
    # protection): it answers as for a new address, and tells bob by email instead.
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify Your Email Address")
    assert [m.to for m in mail.outbox] == [["bob@example.org"]]
    assert "an account with it exists already" in mail.outbox[0].body
    assert list(User.objects.all()) == [other_applicant]
    assert not SocialAccount.objects.exists()
    other_applicant.refresh_from_db()
    assert other_applicant.has_usable_password()


def test_it_does_not_link_an_account_whose_address_the_portal_never_verified(
    live_server, page: Page, myaccessid
):
    """Refusal: the provider verified alice@example.org, but the portal's account with that
    address never confirmed it (anybody may have registered it): it is not taken over."""
    from tests.model_factories import UserFactory

    squatter = UserFactory(email="alice@example.org", verified_email=False)
    base = live_server.url

    sign_in_with_myaccessid(page, base, "alice")

    expect(page.get_by_role("heading", level=1)).to_have_text("Create your portal account")
    expect(page.get_by_text(WARNING)).to_be_visible()
    assert not SocialAccount.objects.exists()
    squatter.refresh_from_db()
    assert squatter.has_usable_password()


def test_it_refuses_a_provider_that_does_not_release_the_identifier(
    live_server, page: Page, myaccessid
):
    base = live_server.url

    sign_in_with_myaccessid(page, base, "nopid")

    expect(page.get_by_role("heading", level=1)).to_contain_text("Third-Party Login Failure")
    assert not User.objects.exists()
    assert not SocialAccount.objects.exists()


def totp_code(secret: str) -> str:
    from allauth.mfa import app_settings

    return format_hotp_value(hotp_value(secret, int(time.time()) // app_settings.TOTP_PERIOD))


def test_a_reviewer_signing_in_through_the_provider_still_gives_the_second_factor(
    live_server, page: Page, myaccessid, reviewer
):
    """MyAccessID's own MFA claims are not trusted (README, "Signing in"): a reviewer with TOTP
    gives the portal's code after the provider."""
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    TOTP.activate(reviewer, secret)
    base = live_server.url

    sign_in_with_myaccessid(page, base, "rob")

    expect(page.get_by_role("heading", name="Two-Factor Authentication")).to_be_visible()
    page.goto(base + "/review/")  # not signed in until the code is given
    expect(page).to_have_url(re.compile(r"/accounts/(login|2fa/authenticate)/"))
    expect(page.get_by_role("link", name="Sign in", exact=True)).to_be_visible()


def test_a_reviewer_signing_in_through_the_provider_passes_with_the_code(
    live_server, page: Page, myaccessid, reviewer
):
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    TOTP.activate(reviewer, secret)
    base = live_server.url

    sign_in_with_myaccessid(page, base, "rob")
    page.locator('input[name="code"]').fill(totp_code(secret))
    page.get_by_role("button", name="Sign In").click()

    expect(page).to_have_url(base + "/review/")
    assert SocialAccount.objects.get().user == reviewer


def test_a_reviewer_without_totp_is_sent_to_set_it_up(
    live_server, page: Page, myaccessid, reviewer
):
    """allauth asks to confirm access first (a password, or a code by email for an account
    made through the provider), then the TOTP set-up; no reviewer page before that."""
    base = live_server.url
    to_setup = re.compile(
        r"/accounts/(2fa/totp/activate/|reauthenticate/\?next=%2Faccounts%2F2fa%2Ftotp%2Factivate)"
    )

    sign_in_with_myaccessid(page, base, "rob")

    expect(page).to_have_url(to_setup)
    expect(
        page.get_by_text("Staff and reviewers must set up two-factor authentication")
    ).to_be_visible()
    page.goto(base + "/review/")
    expect(page).to_have_url(to_setup)


def connect_myaccessid(page: Page, base: str, login: str, password: str) -> None:
    """From Connected identities, signed in with a password, through the provider."""
    page.goto(base + "/accounts/3rdparty/")
    page.get_by_role("link", name="MyAccessID").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Connect MyAccessID")
    page.get_by_role("button", name="Continue").click()
    page.locator('input[name="login"]').fill(login)
    page.locator('input[name="password"]').fill("any password: the test provider takes any")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()
    # allauth asks for the password again before an identity is added to an account.
    page.wait_for_url(re.compile(r"/accounts/(reauthenticate|3rdparty)/"))
    if "/reauthenticate/" in page.url:
        page.locator('input[name="password"]').fill(password)
        page.get_by_role("button", name="Confirm").click()


def sign_in_with_password(page: Page, base: str, email: str, password: str) -> None:
    page.goto(base + "/accounts/login/")
    page.locator('input[name="login"]').fill(email)
    page.locator('input[name="password"]').fill(password)
    page.get_by_role("button", name="Sign In", exact=True).click()
    expect(page).to_have_url(base + "/applications/")


def test_a_signed_in_user_connects_the_identity_the_warning_points_to(
    live_server, page: Page, myaccessid, other_applicant
):
    """The way the warning gives: signed in with the password, Connected identities. The
    provider's address (unverified there) does not matter: the person proved both."""
    base = live_server.url
    sign_in_with_password(page, base, "bob@example.org", "a-long-test-password")

    connect_myaccessid(page, base, "mallory", "a-long-test-password")

    expect(page.get_by_text("The third-party account has been connected.")).to_be_visible()
    account = SocialAccount.objects.get()
    assert (account.user, account.uid) == (
        other_applicant,
        PROVIDER_ACCOUNTS["mallory"]["voperson_id"],
    )
    # From now on the identity signs bob in.
    sign_out(page, base)
    sign_in_with_myaccessid(page, base, "mallory")
    expect(page).to_have_url(base + "/applications/")
    expect(page.get_by_role("button", name=str(other_applicant))).to_be_visible()


def test_it_refuses_to_connect_an_identity_of_another_account(
    live_server, page: Page, myaccessid, applicant, other_applicant
):
    SocialAccount.objects.create(
        user=applicant, provider="myaccessid", uid=PROVIDER_ACCOUNTS["mallory"]["voperson_id"]
    )
    base = live_server.url
    sign_in_with_password(page, base, "bob@example.org", "a-long-test-password")

    connect_myaccessid(page, base, "mallory", "a-long-test-password")

    expect(
        page.get_by_text("The third-party account is already connected to a different account.")
    ).to_be_visible()
    assert list(SocialAccount.objects.values_list("user", flat=True)) == [applicant.pk]


def test_the_sign_in_buttons_and_the_warning_pass_axe(live_server, page: Page, myaccessid):
    from tests.browser.test_accessibility import BLOCKING, run_axe

    base = live_server.url
    page.goto(base + "/accounts/login/")
    on_login = run_axe(page, base)
    sign_in_with_myaccessid(page, base, "nora")
    expect(page.get_by_text(WARNING)).to_be_visible()
    on_signup = run_axe(page, base)

    blocking = [
        f"{where}: {v['id']} [{v['impact']}] {v['help']}"
        for where, found in (("sign-in", on_login), ("new account", on_signup))
        for v in found
        if v["impact"] in BLOCKING
    ]
    assert not blocking, blocking
