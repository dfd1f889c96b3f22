"""The permission matrix: every route and every API operation, as every role, on every object.

The rows are generated, not hand-picked: every pattern of the URL resolver (but the third-party
pages in SKIPPED, each with its reason) is requested with GET and POST, and every operation of the
OpenAPI schema with its own method. Each needs a row in MATRIX saying, for each role and each
object its URL can point at, what the answer must be; a page or operation without a row fails
`test_every_route_and_api_operation_has_a_row`, and its own `test_permission_matrix[...]` case,
naming it, so that nothing ships unchecked.

Outcomes:
  ok      2xx, or a redirect within the same area (not to the login page)
  blind   2xx, showing nothing of applicant A's applications (a list of one's own: empty)
  login   a redirect to the login page (the portal's or the admin's, which forwards to it)
  moved   a redirect out of the area, not to the login page
  401 …   that status: 401 for the anonymous API, 404 for what one may not see (README, "Who
          sees what"), 405 for a method the view refuses, 400 for a rule the service refuses
          (409 in the API: a well-formed request its rules refuse, portal/api.py)

Every refusal (and every `blind` list) must not contain the title of any of A's applications,
and a refused write must leave the database as it was. On every cell, ok or not, nobody reads
what their role may never see (SECRETS: titles, the reviewer's internal note and identity, A's
organisation). The API's GET operations are also read as the browser reads them, DRF's
browsable HTML page, with the same expectations.

The objects are built once for the module, inside a transaction rolled back at its end; each
request runs in a savepoint rolled back after it, so a successful POST never changes what the
next cell sees.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.authtoken.models import Token

from allocations.models import Allocation, ChangeRequest, Report
from allocations.services import changes as change_services
from allocations.services import reclaim as reclaim_services
from applications import reference as applications_reference
from applications import services as applications_services
from applications.models import AccessMode, Application, ApplicationEvent, Attachment, TeamMember
from factories.models import System
from handoffs.models import HandOff
from notifications.models import Notification
from organisations import services as organisations_services
from organisations.models import Membership, Organisation
from portal import heartbeats
from reviews.models import Assignment, ConflictOfInterest, Decision, Review, RoutingRecord, SiteRole
from reviews.services import assignments as assignment_services
from reviews.services import decisions as decision_services
from reviews.services import routing as routing_services
from tests.fixtures.reviews import CAPACITY, REVIEW_VALUES, person, site_person
from tests.helpers import SMALL_PDF, pdf
from usage.models import UsageRecord

ROLES = (
    "anonymous",
    "applicant_a",  # Alice: represents her startup, owns every application below
    "applicant_b",  # Bob: an applicant of his own, must see nothing of Alice's
    "member",  # Carol: a plain member of Alice's organisation
    "reviewer_x",  # Tess: technical reviewer at LUMI (site X), assigned to Alice's applications
    "reviewer_y",  # Yann: technical reviewer at IT4LIA (site Y)
    "approver_x",  # Paula: site approver at LUMI
    "staff",  # Sam: staff and superuser
)
# The objects, all of applicant A at LUMI (site X). URLs with an application's pk (and its PDF's
# attachment_id) take each of:
#   draft       a complete draft, with a PDF attached
#   submitted   submitted and routed: under review, assigned to reviewer X (still pending)
#   allocation  reviewed by X and approved by approver X: it has its Allocation
# URLs with an assignment's pk take each of:
#   review      reviewer X's pending assignment on `submitted`
#   reviewed    reviewer X's done assignment, with its Review, on `allocation`
# A URL with a slug takes "catalogue" (LUMI AI Factory `lumi-aif`, system `lumi`, antenna
# `antenna-be`, access mode `fast-lane`); one without
# any parameter, "-".
APPLICATION_OBJECTS = ("draft", "submitted", "allocation")
ASSIGNMENT_OBJECTS = ("review", "reviewed")
OUTCOMES = {"ok", "blind", "login", "moved", "400", "401", "403", "404", "405", "409"}
REFUSALS = OUTCOMES - {"ok"}
TITLES = {
    "draft": "Quokka vision transformer for crop imagery",
    "submitted": "Narwhal protein language model",
    "allocation": "Axolotl weather foundation model",
}
TITLES["review"] = TITLES["submitted"]
TITLES["reviewed"] = TITLES["allocation"]
INTERNAL_NOTE = "Internal: the GPU-hour estimate of Axolotl looks padded"
ORGANISATION_NAME = "Alice AI GmbH"
REVIEWER_EMAIL = "tess@csc.fi"
# Whatever the page, these never reach anybody but the roles named: on any cell, ok or not.
SECRETS = {
    TITLES["draft"]: {"applicant_a", "staff"},
    TITLES["submitted"]: {"applicant_a", "reviewer_x", "approver_x", "staff"},
    TITLES["allocation"]: {"applicant_a", "reviewer_x", "approver_x", "staff"},
    INTERNAL_NOTE: {"reviewer_x", "approver_x", "staff"},
    # The access modes here do not make reviewers' identities visible to applicants.
    REVIEWER_EMAIL: {"reviewer_x", "approver_x", "staff"},
    ORGANISATION_NAME: {"applicant_a", "member", "reviewer_x", "approver_x", "staff"},
}
STEP = "project"  # the form step requested in /applications/<pk>/edit/<step>/

# --- What is not ours ---------------------------------------------------------------------------

SKIPPED = {
    "/accounts/": "django-allauth's sign-in, sign-up, e-mail and two-factor pages (third-party)",
    "/api/schema/": "the OpenAPI document: public by design, and the source of the API rows",
    "/api/docs/": "Swagger UI over that document: public by design",
    "/static/": "static files, served by WhiteNoise outside the URL configuration: public",
    "/media/": "not served at all: attachments go only through the download views below",
    "/admin/": "Django's admin: every page sits behind admin_view (staff only); the pages in "
    "ADMIN_CHECKED stand for the rest",
    "/^api/": "any /api/ URL no route matches: the same JSON 404 for everybody, shows nothing "
    "(tests/portal/test_hostile_input.py)",
}
ADMIN_CHECKED = {
    "/admin/",
    "/admin/applications/application/",
    "/admin/applications/application/<path:object_id>/change/",
    "/admin/reviews/siterole/",
}
OURS_UNDER_SKIPPED = {"/admin/login/"}  # forwards the admin's login to the portal's (MFA)
# Mounted only when the setting is on (`make bench`): may be absent from the resolver.
CONDITIONAL = {"/bench/baseline/"}

# --- The matrix ---------------------------------------------------------------------------------
# One row per object: the outcome for each role, in the order of ROLES. For a URL without an
# object the row's key is "-"; for the catalogue's slugs it is "catalogue".

# fmt: off
MATRIX: dict[str, dict[str, str]] = {
    # --- public pages ----------------------------------------------------------------------------
    #                  anon   A      B      member rev_x  rev_y  appr_x staff
    "GET /": {
        "-":          "ok     ok     ok     ok     ok     ok     ok     ok",
    },
    "POST /": {
        "-":          "ok     ok     ok     ok     ok     ok     ok     ok",
    },
    "GET /factories/": {
        "-":          "ok     ok     ok     ok     ok     ok     ok     ok",
    },
    "POST /factories/": {
        "-":          "ok     ok     ok     ok     ok     ok     ok     ok",
    },
    "GET /factories/<slug:slug>/": {
        "catalogue":  "ok     ok     ok     ok     ok     ok     ok     ok",
    },
    "POST /factories/<slug:slug>/": {
        "catalogue":  "ok     ok     ok     ok     ok     ok     ok     ok",
    },
    "GET /systems/<slug:slug>/": {
        "catalogue":  "ok     ok     ok     ok     ok     ok     ok     ok",
    },
    "POST /systems/<slug:slug>/": {
        "catalogue":  "ok     ok     ok     ok     ok     ok     ok     ok",
    },
    "GET /antennas/": {
        "-":          "ok     ok     ok     ok     ok     ok     ok     ok",
    },
    "POST /antennas/": {
        "-":          "ok     ok     ok     ok     ok     ok     ok     ok",
    },
    "GET /antennas/<slug:slug>/": {
        "catalogue":  "ok     ok     ok     ok     ok     ok     ok     ok",
    },
    "POST /antennas/<slug:slug>/": {
        "catalogue":  "ok     ok     ok     ok     ok     ok     ok     ok",
    },
    "GET /access-modes/": {
        "-":          "ok     ok     ok     ok     ok     ok     ok     ok",
    },
    "POST /access-modes/": {
        "-":          "ok     ok     ok     ok     ok     ok     ok     ok",
    },
    "GET /access-modes/<slug:slug>/": {
        "catalogue":  "ok     ok     ok     ok     ok     ok     ok     ok",
    },
    "POST /access-modes/<slug:slug>/": {
        "catalogue":  "ok     ok     ok     ok     ok     ok     ok     ok",
    },
    "GET /start/": {  # each role to its own work
        "-":          "login  moved  moved  moved  moved  moved  moved  moved",
    },
    "POST /start/": {
        "-":          "login  moved  moved  moved  moved  moved  moved  moved",
    },
    "GET /i18n/setlang/": {  # the language switcher posts
        "-":          "405    405    405    405    405    405    405    405",
    },
    "POST /i18n/setlang/": {  # no language given: refused, nothing stored
        "-":          "400    400    400    400    400    400    400    400",
    },
    "GET /staff/jobs/": {
        "-":          "login  403    403    403    403    403    403    ok",
    },
    "POST /staff/jobs/": {
        "-":          "login  403    403    403    403    403    403    ok",
    },
    "GET /healthz": {
        "-":          "ok     ok     ok     ok     ok     ok     ok     ok",
    },
    "POST /healthz": {
        "-":          "ok     ok     ok     ok     ok     ok     ok     ok",
    },
    "GET /favicon.ico": {
        "-":          "moved  moved  moved  moved  moved  moved  moved  moved",
    },
    "POST /favicon.ico": {
        "-":          "moved  moved  moved  moved  moved  moved  moved  moved",
    },
    "GET /statistics/": {  # public figures: no titles, no people
        "-":          "ok     ok     ok     ok     ok     ok     ok     ok",
    },
    "POST /statistics/": {
        "-":          "405    405    405    405    405    405    405    405",
    },
    "GET /finder/": {  # public: the form, and the ranking for the inputs given
        "-":          "ok     ok     ok     ok     ok     ok     ok     ok",
    },
    "POST /finder/": {
        "-":          "405    405    405    405    405    405    405    405",
    },
    "GET /finder/applications/<int:pk>/move/": {
        "draft":      "login  405    405    405    405    405    405    405",
        "submitted":  "login  405    405    405    405    405    405    405",
        "allocation": "login  405    405    405    405    405    405    405",
    },
    "POST /finder/applications/<int:pk>/move/": {  # the applicant only; none is offered a move
        "draft":      "login  400    404    404    404    404    404    404",
        "submitted":  "login  400    404    404    404    404    404    404",
        "allocation": "login  400    404    404    404    404    404    404",
    },
    "GET /finder/applications/<int:pk>/propose/": {  # staff propose, the applicant decides
        "draft":      "login  403    403    403    403    403    403    ok",
        "submitted":  "login  403    403    403    403    403    403    ok",
        "allocation": "login  403    403    403    403    403    403    ok",
    },
    "POST /finder/applications/<int:pk>/propose/": {  # an empty form: refused
        "draft":      "login  403    403    403    403    403    403    400",
        "submitted":  "login  403    403    403    403    403    403    400",
        "allocation": "login  403    403    403    403    403    403    400",
    },
    "GET /notifications/preferences/": {  # one's own: no user in the URL or the form
        "-":          "login  ok     ok     ok     ok     ok     ok     ok",
    },
    "POST /notifications/preferences/": {  # an empty form turns the decision off: refused
        "-":          "login  ok     ok     ok     ok     ok     ok     ok",
    },
    "GET /notifications/unsubscribe/": {  # the signed token is the proof; without one, a 400
        "-":          "400    400    400    400    400    400    400    400",
    },
    "POST /notifications/unsubscribe/": {
        "-":          "400    400    400    400    400    400    400    400",
    },
    "GET /bench/baseline/": {
        "-":          "ok     ok     ok     ok     ok     ok     ok     ok",
    },
    "POST /bench/baseline/": {
        "-":          "ok     ok     ok     ok     ok     ok     ok     ok",
    },
    # --- the admin (a few pages stand for all of it) ---------------------------------------------
    #                  anon   A      B      member rev_x  rev_y  appr_x staff
    "GET /admin/login/": {  # signed in: a 403 page, never back to the sign-in (a loop)
        "-":          "login  403    403    403    403    403    403    ok",
    },
    "POST /admin/login/": {
        "-":          "login  403    403    403    403    403    403    ok",
    },
    "GET /admin/": {
        "-":          "login  login  login  login  login  login  login  ok",
    },
    "POST /admin/": {
        "-":          "login  login  login  login  login  login  login  ok",
    },
    "GET /admin/applications/application/": {
        "-":          "login  login  login  login  login  login  login  ok",
    },
    "POST /admin/applications/application/": {
        "-":          "login  login  login  login  login  login  login  ok",
    },
    "GET /admin/reviews/siterole/": {
        "-":          "login  login  login  login  login  login  login  ok",
    },
    "POST /admin/reviews/siterole/": {
        "-":          "login  login  login  login  login  login  login  ok",
    },
    "GET /admin/applications/application/<path:object_id>/change/": {
        "draft":      "login  login  login  login  login  login  login  ok",
        "submitted":  "login  login  login  login  login  login  login  ok",
        "allocation": "login  login  login  login  login  login  login  ok",
    },
    "POST /admin/applications/application/<path:object_id>/change/": {
        "draft":      "login  login  login  login  login  login  login  ok",
        "submitted":  "login  login  login  login  login  login  login  ok",
        "allocation": "login  login  login  login  login  login  login  ok",
    },
    # --- accounts --------------------------------------------------------------------------------
    #                  anon   A      B      member rev_x  rev_y  appr_x staff
    "GET /me/api-token/": {
        "-":          "login  ok     ok     ok     ok     ok     ok     ok",
    },
    "POST /me/api-token/": {
        "-":          "login  ok     ok     ok     ok     ok     ok     ok",
    },
    "GET /me/profile/": {
        "-":          "login  ok     ok     ok     ok     ok     ok     ok",
    },
    "POST /me/profile/": {
        "-":          "login  ok     ok     ok     ok     ok     ok     ok",
    },
    # --- applicant pages -------------------------------------------------------------------------
    #                  anon   A      B      member rev_x  rev_y  appr_x staff
    "GET /applications/": {
        "-":          "login  ok     blind  blind  blind  blind  blind  blind",
    },
    "POST /applications/": {
        "-":          "login  ok     blind  blind  blind  blind  blind  blind",
    },
    "GET /applications/new/": {  # the page an "Apply" link opens; the draft needs a POST
        "-":          "login  ok     ok     ok     ok     ok     ok     ok",
    },
    "POST /applications/new/": {
        "-":          "login  ok     ok     ok     ok     ok     ok     ok",
    },
    "GET /applications/organisations/new/": {
        "-":          "login  ok     ok     ok     ok     ok     ok     ok",
    },
    "POST /applications/organisations/new/": {
        "-":          "login  ok     ok     ok     ok     ok     ok     ok",
    },
    "GET /applications/<int:pk>/": {
        "draft":      "login  ok     404    404    404    404    404    404",
        "submitted":  "login  ok     404    404    404    404    404    404",
        "allocation": "login  ok     404    404    404    404    404    404",
    },
    "POST /applications/<int:pk>/": {
        "draft":      "login  ok     404    404    404    404    404    404",
        "submitted":  "login  ok     404    404    404    404    404    404",
        "allocation": "login  ok     404    404    404    404    404    404",
    },
    "GET /applications/<int:pk>/edit/<slug:step>/": {  # not a draft: redirected to its page
        "draft":      "login  ok     404    404    404    404    404    404",
        "submitted":  "login  ok     404    404    404    404    404    404",
        "allocation": "login  ok     404    404    404    404    404    404",
    },
    "POST /applications/<int:pk>/edit/<slug:step>/": {
        "draft":      "login  ok     404    404    404    404    404    404",
        "submitted":  "login  ok     404    404    404    404    404    404",
        "allocation": "login  ok     404    404    404    404    404    404",
    },
    "GET /applications/<int:pk>/submit/": {
        "draft":      "login  405    405    405    405    405    405    405",
        "submitted":  "login  405    405    405    405    405    405    405",
        "allocation": "login  405    405    405    405    405    405    405",
    },
    "POST /applications/<int:pk>/submit/": {  # idempotent once submitted
        "draft":      "login  ok     404    404    404    404    404    404",
        "submitted":  "login  ok     404    404    404    404    404    404",
        "allocation": "login  ok     404    404    404    404    404    404",
    },
    "GET /applications/<int:pk>/withdraw/": {
        "draft":      "login  405    405    405    405    405    405    405",
        "submitted":  "login  405    405    405    405    405    405    405",
        "allocation": "login  405    405    405    405    405    405    405",
    },
    "POST /applications/<int:pk>/withdraw/": {  # decided: a message, nothing changes
        "draft":      "login  ok     404    404    404    404    404    404",
        "submitted":  "login  ok     404    404    404    404    404    404",
        "allocation": "login  ok     404    404    404    404    404    404",
    },
    "GET /applications/<int:pk>/letter/": {  # no decision, no letter
        "draft":      "login  404    404    404    404    404    404    404",
        "submitted":  "login  404    404    404    404    404    404    404",
        "allocation": "login  ok     404    404    ok     404    ok     404",
    },
    "POST /applications/<int:pk>/letter/": {
        "draft":      "login  404    404    404    404    404    404    404",
        "submitted":  "login  404    404    404    404    404    404    404",
        "allocation": "login  ok     404    404    ok     404    ok     404",
    },
    "GET /applications/<int:pk>/attachments/<int:attachment_id>/": {
        "draft":      "login  ok     404    404    404    404    404    404",
        "submitted":  "login  ok     404    404    404    404    404    404",
        "allocation": "login  ok     404    404    404    404    404    404",
    },
    "POST /applications/<int:pk>/attachments/<int:attachment_id>/": {
        "draft":      "login  ok     404    404    404    404    404    404",
        "submitted":  "login  ok     404    404    404    404    404    404",
        "allocation": "login  ok     404    404    404    404    404    404",
    },
    "GET /applications/<int:pk>/attachments/<int:attachment_id>/delete/": {
        "draft":      "login  405    405    405    405    405    405    405",
        "submitted":  "login  405    405    405    405    405    405    405",
        "allocation": "login  405    405    405    405    405    405    405",
    },
    "POST /applications/<int:pk>/attachments/<int:attachment_id>/delete/": {  # draft only
        "draft":      "login  ok     404    404    404    404    404    404",
        "submitted":  "login  ok     404    404    404    404    404    404",
        "allocation": "login  ok     404    404    404    404    404    404",
    },
    # --- allocations (by their application's number) ---------------------------------------------
    #                  anon   A      B      member rev_x  rev_y  appr_x staff
    "GET /applications/<int:pk>/allocation/": {  # its holders, its site, staff
        "draft":      "login  404    404    404    404    404    404    404",
        "submitted":  "login  404    404    404    404    404    404    404",
        "allocation": "login  ok     404    404    404    404    ok     ok",
    },
    "POST /applications/<int:pk>/allocation/": {
        "draft":      "login  405    405    405    405    405    405    405",
        "submitted":  "login  405    405    405    405    405    405    405",
        "allocation": "login  405    405    405    405    405    405    405",
    },
    "GET /applications/<int:pk>/allocation/letter.pdf": {  # the holders only
        "draft":      "login  404    404    404    404    404    404    404",
        "submitted":  "login  404    404    404    404    404    404    404",
        "allocation": "login  ok     404    404    404    404    404    404",
    },
    "POST /applications/<int:pk>/allocation/letter.pdf": {
        "draft":      "login  405    405    405    405    405    405    405",
        "submitted":  "login  405    405    405    405    405    405    405",
        "allocation": "login  405    405    405    405    405    405    405",
    },
    "GET /applications/<int:pk>/allocation/move/": {
        "draft":      "login  405    405    405    405    405    405    405",
        "submitted":  "login  405    405    405    405    405    405    405",
        "allocation": "login  405    405    405    405    405    405    405",
    },
    "POST /applications/<int:pk>/allocation/move/": {  # the site's approver only
        "draft":      "login  404    404    404    404    404    404    404",
        "submitted":  "login  404    404    404    404    404    404    404",
        "allocation": "login  404    404    404    404    404    ok     404",
    },
    "GET /applications/<int:pk>/allocation/changes/": {
        "draft":      "login  405    405    405    405    405    405    405",
        "submitted":  "login  405    405    405    405    405    405    405",
        "allocation": "login  405    405    405    405    405    405    405",
    },
    "POST /applications/<int:pk>/allocation/changes/": {  # the holders ask
        "draft":      "login  404    404    404    404    404    404    404",
        "submitted":  "login  404    404    404    404    404    404    404",
        "allocation": "login  ok     404    404    404    404    404    404",
    },
    "GET /applications/<int:pk>/allocation/changes/<int:change_id>/decide/": {
        "draft":      "login  405    405    405    405    405    405    405",
        "submitted":  "login  405    405    405    405    405    405    405",
        "allocation": "login  405    405    405    405    405    405    405",
    },
    "POST /applications/<int:pk>/allocation/changes/<int:change_id>/decide/": {
        "draft":      "login  404    404    404    404    404    404    404",
        "submitted":  "login  404    404    404    404    404    404    404",
        "allocation": "login  404    404    404    404    404    ok     404",
    },
    "GET /applications/<int:pk>/allocation/reports/<int:report_id>/": {
        "draft":      "login  404    404    404    404    404    404    404",
        "submitted":  "login  404    404    404    404    404    404    404",
        "allocation": "login  ok     404    404    404    404    ok     ok",
    },
    "POST /applications/<int:pk>/allocation/reports/<int:report_id>/": {  # the holders hand in
        "draft":      "login  404    404    404    404    404    404    404",
        "submitted":  "login  404    404    404    404    404    404    404",
        "allocation": "login  ok     404    404    404    404    404    404",
    },
    "GET /applications/<int:pk>/allocation/reclaim/": {
        "draft":      "login  405    405    405    405    405    405    405",
        "submitted":  "login  405    405    405    405    405    405    405",
        "allocation": "login  405    405    405    405    405    405    405",
    },
    "POST /applications/<int:pk>/allocation/reclaim/": {  # the site (a notice is open: a message)
        "draft":      "login  404    404    404    404    404    404    404",
        "submitted":  "login  404    404    404    404    404    404    404",
        "allocation": "login  404    404    404    404    404    ok     404",
    },
    "GET /applications/<int:pk>/allocation/reclaim/<int:notice_id>/answer/": {
        "draft":      "login  405    405    405    405    405    405    405",
        "submitted":  "login  405    405    405    405    405    405    405",
        "allocation": "login  405    405    405    405    405    405    405",
    },
    "POST /applications/<int:pk>/allocation/reclaim/<int:notice_id>/answer/": {  # the holders
        "draft":      "login  404    404    404    404    404    404    404",
        "submitted":  "login  404    404    404    404    404    404    404",
        "allocation": "login  ok     404    404    404    404    404    404",
    },
    "GET /applications/<int:pk>/allocation/reclaim/<int:notice_id>/decide/": {
        "draft":      "login  405    405    405    405    405    405    405",
        "submitted":  "login  405    405    405    405    405    405    405",
        "allocation": "login  405    405    405    405    405    405    405",
    },
    "POST /applications/<int:pk>/allocation/reclaim/<int:notice_id>/decide/": {  # the site
        "draft":      "login  404    404    404    404    404    404    404",
        "submitted":  "login  404    404    404    404    404    404    404",
        "allocation": "login  404    404    404    404    404    ok     404",
    },
    # --- review pages ----------------------------------------------------------------------------
    #                  anon   A      B      member rev_x  rev_y  appr_x staff
    "GET /review/": {
        "-":          "login  403    403    403    ok     blind  ok     403",
    },
    "POST /review/": {
        "-":          "login  403    403    403    ok     blind  ok     403",
    },
    "GET /review/site/": {
        "-":          "login  403    403    403    403    403    ok     403",
    },
    "POST /review/site/": {
        "-":          "login  403    403    403    403    403    ok     403",
    },
    "GET /review/assignments/<int:pk>/": {
        "review":     "login  404    404    404    ok     404    404    404",
        "reviewed":   "login  404    404    404    ok     404    404    404",
    },
    "POST /review/assignments/<int:pk>/": {
        "review":     "login  404    404    404    ok     404    404    404",
        "reviewed":   "login  404    404    404    ok     404    404    404",
    },
    "GET /review/assignments/<int:pk>/accept/": {
        "review":     "login  405    405    405    405    405    405    405",
        "reviewed":   "login  405    405    405    405    405    405    405",
    },
    "POST /review/assignments/<int:pk>/accept/": {  # done: a message, nothing changes
        "review":     "login  404    404    404    ok     404    404    404",
        "reviewed":   "login  404    404    404    ok     404    404    404",
    },
    "GET /review/assignments/<int:pk>/decline/": {
        "review":     "login  405    405    405    405    405    405    405",
        "reviewed":   "login  405    405    405    405    405    405    405",
    },
    "POST /review/assignments/<int:pk>/decline/": {
        "review":     "login  404    404    404    ok     404    404    404",
        "reviewed":   "login  404    404    404    ok     404    404    404",
    },
    "GET /review/applications/<int:pk>/": {  # drafts never reach the review side
        "draft":      "login  404    404    404    404    404    404    404",
        "submitted":  "login  404    404    404    ok     404    ok     404",
        "allocation": "login  404    404    404    ok     404    ok     404",
    },
    "POST /review/applications/<int:pk>/": {  # only the site's approver decides
        "draft":      "login  404    404    404    404    404    404    404",
        "submitted":  "login  404    404    404    404    404    ok     404",
        "allocation": "login  404    404    404    404    404    ok     404",
    },
    "GET /review/applications/<int:pk>/attachments/<int:attachment_id>/": {
        "draft":      "login  404    404    404    404    404    404    404",
        "submitted":  "login  404    404    404    ok     404    ok     404",
        "allocation": "login  404    404    404    ok     404    ok     404",
    },
    "POST /review/applications/<int:pk>/attachments/<int:attachment_id>/": {
        "draft":      "login  404    404    404    404    404    404    404",
        "submitted":  "login  404    404    404    ok     404    ok     404",
        "allocation": "login  404    404    404    ok     404    ok     404",
    },
    "GET /review/stats/": {
        "-":          "login  403    403    403    403    403    ok     ok",
    },
    "POST /review/stats/": {
        "-":          "login  403    403    403    403    403    ok     ok",
    },
    "GET /review/capacity/": {
        "-":          "login  403    403    403    403    403    ok     ok",
    },
    "POST /review/capacity/": {
        "-":          "login  403    403    403    403    403    ok     ok",
    },
    "GET /review/reports/": {
        "-":          "login  403    403    403    403    403    ok     ok",
    },
    "POST /review/reports/": {  # staff lift a report block; an empty form is refused
        "-":          "login  403    403    403    403    403    403    400",
    },
    "GET /review/usage/": {  # awarded, used and left per system
        "-":          "login  403    403    403    403    403    ok     ok",
    },
    "POST /review/usage/": {
        "-":          "login  403    403    403    403    403    405    405",
    },
    # --- the API, from the OpenAPI schema --------------------------------------------------------
    #                  anon   A      B      member rev_x  rev_y  appr_x staff
    "GET /api/v1/factories/": {
        "-":          "ok     ok     ok     ok     ok     ok     ok     ok",
    },
    "GET /api/v1/factories/{slug}/": {
        "catalogue":  "ok     ok     ok     ok     ok     ok     ok     ok",
    },
    "GET /api/v1/systems/": {
        "-":          "ok     ok     ok     ok     ok     ok     ok     ok",
    },
    "GET /api/v1/systems/{slug}/": {
        "catalogue":  "ok     ok     ok     ok     ok     ok     ok     ok",
    },
    "GET /api/v1/antennas/": {
        "-":          "ok     ok     ok     ok     ok     ok     ok     ok",
    },
    "GET /api/v1/antennas/{slug}/": {
        "catalogue":  "ok     ok     ok     ok     ok     ok     ok     ok",
    },
    "GET /api/v1/access-modes/": {
        "-":          "ok     ok     ok     ok     ok     ok     ok     ok",
    },
    "GET /api/v1/organisations/": {
        "-":          "401    ok     ok     ok     ok     ok     ok     ok",
    },
    "POST /api/v1/organisations/": {
        "-":          "401    ok     ok     ok     ok     ok     ok     ok",
    },
    "GET /api/v1/applications/": {
        "-":          "401    ok     blind  blind  blind  blind  blind  blind",
    },
    "POST /api/v1/applications/": {
        "-":          "401    ok     ok     ok     ok     ok     ok     ok",
    },
    "GET /api/v1/applications/{id}/": {
        "draft":      "401    ok     404    404    404    404    404    404",
        "submitted":  "401    ok     404    404    404    404    404    404",
        "allocation": "401    ok     404    404    404    404    404    404",
    },
    "PATCH /api/v1/applications/{id}/": {  # drafts only
        "draft":      "401    ok     404    404    404    404    404    404",
        "submitted":  "401    409    404    404    404    404    404    404",
        "allocation": "401    409    404    404    404    404    404    404",
    },
    "POST /api/v1/applications/{id}/submit/": {  # idempotent once submitted
        "draft":      "401    ok     404    404    404    404    404    404",
        "submitted":  "401    ok     404    404    404    404    404    404",
        "allocation": "401    ok     404    404    404    404    404    404",
    },
    "POST /api/v1/applications/{id}/withdraw/": {
        "draft":      "401    ok     404    404    404    404    404    404",
        "submitted":  "401    ok     404    404    404    404    404    404",
        "allocation": "401    409    404    404    404    404    404    404",
    },
    "POST /api/v1/applications/{id}/decision/": {  # reviews missing / already decided: 409
        "draft":      "401    404    404    404    404    404    404    404",
        "submitted":  "401    404    404    404    404    404    409    404",
        "allocation": "401    404    404    404    404    404    409    404",
    },
    "GET /api/v1/assignments/": {
        "-":          "401    blind  blind  blind  ok     blind  blind  blind",
    },
    "POST /api/v1/assignments/{id}/accept/": {
        "review":     "401    404    404    404    ok     404    404    404",
        "reviewed":   "401    404    404    404    409    404    404    404",
    },
    "POST /api/v1/assignments/{id}/review/": {
        "review":     "401    404    404    404    ok     404    404    404",
        "reviewed":   "401    404    404    404    409    404    404    404",
    },
    "POST /api/v1/assignments/{id}/decline/": {
        "review":     "401    404    404    404    ok     404    404    404",
        "reviewed":   "401    404    404    404    409    404    404    404",
    },
    "GET /api/v1/allocations/": {
        "-":          "401    ok     blind  blind  blind  blind  ok     ok",
    },
    "GET /api/v1/statistics/": {
        "-":          "ok     ok     ok     ok     ok     ok     ok     ok",
    },
    "GET /api/v1/finder/": {  # public; without the required organisation type, a 400
        "-":          "400    400    400    400    400    400    400    400",
    },
    "GET /api/v1/applications/{id}/alternatives/": {  # the applicant only
        "draft":      "401    ok     404    404    404    404    404    404",
        "submitted":  "401    ok     404    404    404    404    404    404",
        "allocation": "401    ok     404    404    404    404    404    404",
    },
    "POST /api/v1/applications/{id}/alternatives/accept/": {  # an empty body: refused
        "draft":      "401    400    404    404    404    404    404    404",
        "submitted":  "401    400    404    404    404    404    404    404",
        "allocation": "401    400    404    404    404    404    404    404",
    },
    # The site API takes a factory's site key, never a person's session or token (staff too):
    # the keys' own cells (their factory's objects, another's: 404) are in tests/handoffs and
    # tests/usage.
    "GET /api/v1/site/handoffs/": {
        "-":          "401    403    403    403    403    403    403    403",
    },
    "GET /api/v1/site/handoffs/{id}/": {
        "draft":      "401    403    403    403    403    403    403    403",
        "submitted":  "401    403    403    403    403    403    403    403",
        "allocation": "401    403    403    403    403    403    403    403",
    },
    "POST /api/v1/site/handoffs/{id}/confirm/": {
        "draft":      "401    403    403    403    403    403    403    403",
        "submitted":  "401    403    403    403    403    403    403    403",
        "allocation": "401    403    403    403    403    403    403    403",
    },
    "POST /api/v1/site/usage/": {
        "-":          "401    403    403    403    403    403    403    403",
    },
    "GET /api/v1/applications/{id}/allocation/": {
        "draft":      "401    404    404    404    404    404    404    404",
        "submitted":  "401    404    404    404    404    404    404    404",
        "allocation": "401    ok     404    404    404    404    ok     ok",
    },
    "GET /api/v1/applications/{id}/allocation/change-requests/": {
        "draft":      "401    404    404    404    404    404    404    404",
        "submitted":  "401    404    404    404    404    404    404    404",
        "allocation": "401    ok     404    404    404    404    ok     ok",
    },
    "POST /api/v1/applications/{id}/allocation/change-requests/": {
        "draft":      "401    404    404    404    404    404    404    404",
        "submitted":  "401    404    404    404    404    404    404    404",
        "allocation": "401    ok     404    404    404    404    404    404",
    },
    "POST /api/v1/applications/{id}/allocation/change-requests/{change_id}/decide/": {
        "draft":      "401    404    404    404    404    404    404    404",
        "submitted":  "401    404    404    404    404    404    404    404",
        "allocation": "401    404    404    404    404    404    ok     404",
    },
    "POST /api/v1/applications/{id}/allocation/reports/{report_id}/": {  # the holders hand in
        "draft":      "401    404    404    404    404    404    404    404",
        "submitted":  "401    404    404    404    404    404    404    404",
        "allocation": "401    ok     404    404    404    404    404    404",
    },
    "GET /api/v1/applications/{id}/allocation/usage/": {
        "draft":      "401    404    404    404    404    404    404    404",
        "submitted":  "401    404    404    404    404    404    404    404",
        "allocation": "401    ok     404    404    404    404    ok     ok",
    },
    "GET /api/v1/applications/{id}/allocation/reclaim-notices/": {
        "draft":      "401    404    404    404    404    404    404    404",
        "submitted":  "401    404    404    404    404    404    404    404",
        "allocation": "401    ok     404    404    404    404    ok     ok",
    },
    "POST /api/v1/applications/{id}/allocation/reclaim-notices/": {  # a notice is open: 409
        "draft":      "401    404    404    404    404    404    404    404",
        "submitted":  "401    404    404    404    404    404    404    404",
        "allocation": "401    404    404    404    404    404    409    404",
    },
    "POST /api/v1/applications/{id}/allocation/reclaim-notices/{notice_id}/answer/": {
        "draft":      "401    404    404    404    404    404    404    404",
        "submitted":  "401    404    404    404    404    404    404    404",
        "allocation": "401    ok     404    404    404    404    404    404",
    },
    "POST /api/v1/applications/{id}/allocation/reclaim-notices/{notice_id}/decide/": {
        "draft":      "401    404    404    404    404    404    404    404",
        "submitted":  "401    404    404    404    404    404    404    404",
        "allocation": "401    404    404    404    404    404    ok     404",
    },
}
# fmt: on

# A safe, representative body for each write (form fields for pages, JSON for the API); {} when
# not listed. Each request is rolled back afterwards, whatever it did.
ORGANISATION = {"legal_name": "Matrix Test Org", "country": "FR", "org_type": "academia"}
CHANGE_REQUEST = {"kind": "gpu_hours", "extra_gpu_hours": 100, "reason": "A longer run."}
CHANGE_DECISION = {"outcome": "reject", "comment": "Not this time."}
RECLAIM_NOTICE = {"gpu_hours": 100, "reason": "Unused at half time."}
RECLAIM_DECISION = {"outcome": "withdraw", "comment": "They will use them."}
BODIES: dict[str, dict[str, Any]] = {
    "POST /applications/organisations/new/": ORGANISATION,
    "POST /applications/<int:pk>/edit/<slug:step>/": {
        "title": "Renamed by the permission matrix",
        "team-TOTAL_FORMS": "0",
        "team-INITIAL_FORMS": "0",
        "go": "stay",
    },
    "POST /review/assignments/<int:pk>/": REVIEW_VALUES,
    "POST /review/assignments/<int:pk>/decline/": {"decline-reason": "Too busy this month."},
    "POST /review/applications/<int:pk>/": {"outcome": "reject", "comment": "Not this time."},
    "POST /api/v1/organisations/": ORGANISATION,
    "POST /api/v1/applications/": {"title": "A draft from the permission matrix"},
    "PATCH /api/v1/applications/{id}/": {"abstract": "Changed by the permission matrix."},
    "POST /api/v1/applications/{id}/decision/": {"outcome": "reject", "comment": "Not this time."},
    "POST /api/v1/assignments/{id}/review/": REVIEW_VALUES,
    "POST /api/v1/assignments/{id}/decline/": {"reason": "Too busy this month."},
    "POST /api/v1/site/usage/": {
        "records": [
            {
                "allocation": 1,
                "period_start": "2026-12-01",
                "period_end": "2026-12-01",
                "gpu_hours": "1",
            }
        ],
    },
    "POST /applications/<int:pk>/allocation/move/": {"move": "activate", "reason": "Set up."},
    "POST /applications/<int:pk>/allocation/changes/": CHANGE_REQUEST,
    "POST /applications/<int:pk>/allocation/changes/<int:change_id>/decide/": CHANGE_DECISION,
    "POST /applications/<int:pk>/allocation/reports/<int:report_id>/": {"text": "Done."},
    "POST /api/v1/applications/{id}/allocation/change-requests/": CHANGE_REQUEST,
    "POST /api/v1/applications/{id}/allocation/change-requests/{change_id}/decide/": (
        CHANGE_DECISION
    ),
    "POST /applications/<int:pk>/allocation/reclaim/": RECLAIM_NOTICE,
    "POST /applications/<int:pk>/allocation/reclaim/<int:notice_id>/answer/": {
        "answer": "Used soon."
    },
    "POST /applications/<int:pk>/allocation/reclaim/<int:notice_id>/decide/": RECLAIM_DECISION,
    "POST /api/v1/applications/{id}/allocation/reports/{report_id}/": {"text": "Done."},
    "POST /api/v1/applications/{id}/allocation/reclaim-notices/": RECLAIM_NOTICE,
    "POST /api/v1/applications/{id}/allocation/reclaim-notices/{notice_id}/answer/": {
        "text": "Used soon."
    },
    "POST /api/v1/applications/{id}/allocation/reclaim-notices/{notice_id}/decide/": (
        RECLAIM_DECISION
    ),
}

# --- Discovery ----------------------------------------------------------------------------------

PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\{(\w+)\}")


@dataclass(frozen=True)
class Endpoint:
    method: str
    route: str  # as the URL resolver spells it, or the OpenAPI schema for the API
    api: bool

    @property
    def key(self) -> str:
        return f"{self.method} {self.route}"

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(a or b for a, b in PARAM.findall(self.route))

    @property
    def objects(self) -> tuple[str, ...]:
        """The objects this URL can point at, which its row must list exactly."""
        if not self.params:
            return ("-",)
        if "slug" in self.params:
            return ("catalogue",)
        if "/assignments/" in self.route:
            return ASSIGNMENT_OBJECTS
        return APPLICATION_OBJECTS


def resolver_routes() -> list[str]:
    """Every route of the URL configuration, in order, each once (a repeated route is shadowed
    by its first occurrence, as Django resolves it)."""

    def walk(patterns: list[Any], prefix: str) -> Iterator[str]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern)

    return list(dict.fromkeys(walk(get_resolver().url_patterns, "/")))


def skip_reason(route: str) -> str | None:
    if route in OURS_UNDER_SKIPPED or route in ADMIN_CHECKED:
        return None
    return next((why for prefix, why in SKIPPED.items() if route.startswith(prefix)), None)


def schema_operations() -> list[Endpoint]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        Endpoint(method.upper(), path, api=True)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    ]


def as_schema_path(route: str) -> str:
    """`/api/v1/applications/<int:pk>/` as the schema spells it: `/api/v1/applications/{id}/`."""
    return PARAM.sub(lambda m: "{id}" if m[1] == "pk" else "{%s}" % (m[1] or m[2]), route)


ROUTES = resolver_routes()
API_OPERATIONS = schema_operations()
# Every other route, an undocumented API route included, is requested as a page.
HTML_ENDPOINTS = [
    Endpoint(method, route, api=False)
    for route in ROUTES
    if skip_reason(route) is None and as_schema_path(route) not in {e.route for e in API_OPERATIONS}
    for method in ("GET", "POST")
]
ENDPOINTS = {e.key: e for e in [*HTML_ENDPOINTS, *API_OPERATIONS]}
CELLS = sum(len(ROLES) * len(e.objects) for e in ENDPOINTS.values())
SIZE = (
    f"{len(HTML_ENDPOINTS) // 2} pages x GET,POST + {len(API_OPERATIONS)} API operations "
    f"= {len(ENDPOINTS)} endpoints, x {len(ROLES)} roles, "
    f"x 1-3 of {len(APPLICATION_OBJECTS + ASSIGNMENT_OBJECTS)} objects = {CELLS} cells"
)


# --- The objects, once for the module -----------------------------------------------------------


@dataclass
class World:
    pks: dict[str, int] = field(default_factory=dict)  # object -> application or assignment pk
    attachments: dict[str, Attachment] = field(default_factory=dict)  # object -> its PDF
    sessions: dict[str, str] = field(default_factory=dict)  # role -> session key
    # The allocation's pending change request and its final report (of object `allocation`).
    allocation_objects: dict[str, int] = field(default_factory=dict)

    def url(self, endpoint: Endpoint, obj: str) -> str:
        application = obj if obj in APPLICATION_OBJECTS else None

        def value(match: re.Match) -> str:
            name = match[1] or match[2]
            if name in ("pk", "id", "object_id"):
                return str(self.pks[obj])
            if name == "attachment_id" and application:
                return str(self.attachments[application].pk)
            if name == "step":
                return STEP
            if name in ("change_id", "report_id", "notice_id"):
                return str(self.allocation_objects[name])
            if name == "slug":
                slugs = {"/factories/": "lumi-aif", "/antennas/": "antenna-be"}
                slugs["/access-modes/"] = "fast-lane"
                return next((v for k, v in slugs.items() if k in endpoint.route), "lumi")
            raise AssertionError(f"{endpoint.key}: no value for the URL parameter {name!r}")

        return PARAM.sub(value, endpoint.route)


def _build_world(catalogue_rows) -> World:
    _load_reference_data(catalogue_rows)
    lumi = System.objects.select_related("factory").get(slug="lumi")
    System.objects.filter(pk=lumi.pk).update(allocatable_gpu_hours_per_year=CAPACITY)
    leonardo = System.objects.select_related("factory").get(slug="leonardo")
    alice = person("alice@example.org", "Alice Applicant")
    carol = person("carol@example.org", "Carol Member")
    staff = person("sam@example.org", "Sam Staff", is_staff=True, is_superuser=True)
    TOTP.activate(staff, generate_totp_secret())
    users = {
        "applicant_a": alice,
        "applicant_b": person("bob@example.org", "Bob Outsider"),
        "member": carol,
        "reviewer_x": site_person(lumi.factory, REVIEWER_EMAIL, "Tess Technical", "technical"),
        "reviewer_y": site_person(leonardo.factory, "yann@cineca.it", "Yann Reviewer", "technical"),
        "approver_x": site_person(lumi.factory, "paula@csc.fi", "Paula Approver", "approver"),
        "staff": staff,
    }
    organisation = organisations_services.organisation_create(
        user=alice, legal_name=ORGANISATION_NAME, country="DE", org_type="startup",
        registration_number="DE136695976", sme_declared=True,
    )  # fmt: skip
    organisations_services.organisation_member_add(
        actor=alice, organisation=organisation, user=carol, role=Membership.Role.MEMBER
    )
    fast_lane = AccessMode.objects.get(slug="fast-lane")
    world = World()
    for obj in APPLICATION_OBJECTS:
        application = applications_services.application_create(
            applicant=alice, organisation=organisation, access_mode=fast_lane, system=lumi,
            title=TITLES[obj], abstract="We train a model on public data.", ai_domain="health",
            workload="fine_tuning", gpu_hours=1000, duration_months=2,
            start_date=timezone.localdate() + timedelta(days=7), data_sources="Public corpora",
            personal_data=False, ai_act_risk="minimal",
        )  # fmt: skip
        world.pks[obj] = application.pk
        world.attachments[obj] = applications_services.attachment_add(
            application=application, actor=alice, upload=pdf(f"{obj}.pdf")
        )
        if obj == "draft":
            continue
        applications_services.application_submit(application=application, actor=alice)
        # Called directly: with a broker configured Celery is not eager, and inside this
        # module's transaction the task queued on commit never runs anyway.
        routing_services.application_route(application_id=application.pk)
        assignment = application.assignments.get(reviewer=users["reviewer_x"])
        if obj == "submitted":
            world.pks["review"] = assignment.pk
            continue
        assignment_services.review_record(
            assignment=assignment, reviewer=users["reviewer_x"],
            **{**REVIEW_VALUES, "internal_note": INTERNAL_NOTE},
        )  # fmt: skip
        decision_services.application_decide(
            application=application, approver=users["approver_x"], outcome="approve",
            gpu_hours=800, comment="A sound plan.",
        )  # fmt: skip
        world.pks["reviewed"] = assignment.pk
        allocation = Allocation.objects.get(application=application)
        change = change_services.change_request_create(
            allocation,
            user=alice,
            kind="extension",
            reason="The data came late.",
            new_end=allocation.end + timedelta(days=30),
        )
        notice = reclaim_services.reclaim_notice_create(
            allocation, approver=users["approver_x"], gpu_hours=100, reason="Unused so far."
        )
        world.allocation_objects = {
            "change_id": change.pk,
            "report_id": allocation.reports.get(kind="final").pk,
            "notice_id": notice.pk,
        }
    assert Allocation.objects.filter(application_id=world.pks["allocation"]).exists()
    assert Assignment.objects.get(pk=world.pks["review"]).status == Assignment.Status.PENDING
    for role, user in users.items():
        client = Client()
        client.force_login(user)
        world.sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return world


def _load_reference_data(catalogue_rows) -> None:
    for model, rows in catalogue_rows:
        model.objects.bulk_create(model(**row) for row in rows)
    applications_reference.access_modes_load(
        data=applications_reference.access_modes_read(
            applications_reference.DEFAULT_ACCESS_MODES_PATH
        )
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, _catalogue_rows, tmp_path_factory) -> Iterator[World]:
    """The people and objects, built once inside a transaction that is rolled back at the end
    of the module (each test's own transaction nests inside it as a savepoint)."""
    # The worker and beat say they are alive (their heartbeats), so /healthz answers 200 where
    # a broker is configured; they stay fresh for the whole module.
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media"), HEARTBEAT_SECONDS=3600)
    media.enable()
    for name in ("worker:matrix@test", heartbeats.BEAT, heartbeats.BEAT_STARTED):
        heartbeats.record(name)
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            built = _build_world(_catalogue_rows)
        except BaseException as exc:
            atomic.__exit__(type(exc), exc, exc.__traceback__)
            media.disable()
            raise
    try:
        yield built
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
        media.disable()


# --- One cell -----------------------------------------------------------------------------------

COUNTED = (
    Organisation, Membership, Application, TeamMember, Attachment, ApplicationEvent, Assignment,
    Review, Decision, Allocation, ConflictOfInterest, RoutingRecord, Notification, SiteRole,
    HandOff, UsageRecord,
    ChangeRequest, Report,
)  # fmt: skip


def snapshot() -> dict[str, Any]:
    """What a refused write must not change: row counts, every status, titles and tokens."""
    counts = ", ".join(
        f"(SELECT COUNT(*) FROM {connection.ops.quote_name(model._meta.db_table)})"
        for model in COUNTED
    )
    with connection.cursor() as cursor:  # one query for all the counts: this runs ~1,000 times
        cursor.execute(f"SELECT {counts}")
        row = cursor.fetchone()
    return {
        **{model.__name__: n for model, n in zip(COUNTED, row, strict=True)},
        "applications": list(
            Application.objects.order_by("pk").values_list("pk", "status", "title", "abstract")
        ),
        "assignments": list(Assignment.objects.order_by("pk").values_list("pk", "status")),
        "tokens": sorted(Token.objects.values_list("key", flat=True)),
    }


def send(client: Client, endpoint: Endpoint, url: str, accept: str | None) -> HttpResponse:
    body = BODIES.get(endpoint.key, {})
    if endpoint.method == "GET":
        return client.get(url, **({"HTTP_ACCEPT": accept} if accept else {}))
    if endpoint.api:
        return client.generic(
            endpoint.method, url, json.dumps(body), content_type="application/json"
        )
    return client.post(url, body)


def body_of(response: HttpResponse) -> str:
    # Reading a stream to its end closes the response, as a WSGI server would. (Closing it
    # again would send `request_finished`, whose handler closes the database connection, and
    # this module's transaction with it on PostgreSQL.)
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8", "replace")


def area(path: str) -> str:
    return path.strip("/").split("/", 1)[0]


def outcome_of(response: HttpResponse, endpoint: Endpoint) -> str:
    status = response.status_code
    if 300 <= status < 400:
        location = urlsplit(response["Location"]).path
        if location in (reverse("account_login"), "/admin/login/"):
            return "login"
        return "ok" if area(location) == area(endpoint.route) else "moved"
    return "ok" if 200 <= status < 300 else str(status)


MAX_REDIRECTS = 3


def follow_redirects(client: Client, method: str, url: str, response: HttpResponse) -> str | None:
    """Follow the redirects as a browser would (GET, same session): what is wrong (a loop, more
    than MAX_REDIRECTS hops, a 5xx at the end), or None. A POST answered by a redirect to its
    own URL (post, redirect, get) is no loop; a GET back to a URL already requested is."""
    requested = [(method, url)]
    seen = [url]
    while 300 <= response.status_code < 400:
        location = response["Location"]
        if urlsplit(location).netloc:
            return None  # leaves the portal
        if ("GET", location) in requested:
            return f"a redirect loop: {' -> '.join([*seen, location])}"
        requested.append(("GET", location))
        seen.append(location)
        if len(seen) > MAX_REDIRECTS + 1:
            return f"more than {MAX_REDIRECTS} redirects: {' -> '.join(seen)}"
        try:
            response = client.get(location)
            body_of(response)
        except Exception as exc:
            return f"GET {location} raised {type(exc).__name__}: {exc} (a 500)"
    if response.status_code >= 500:
        return f"{' -> '.join(seen)} ends in a {response.status_code}"
    return None


def restore_files(world: World) -> None:
    """An attachment deleted by a cell is back in the database after the rollback, but not on
    disk: write it again."""
    for attachment in world.attachments.values():
        storage = attachment.file.storage
        if not storage.exists(attachment.file.name):
            storage.save(attachment.file.name, ContentFile(SMALL_PDF))


def check_cell(
    world: World, endpoint: Endpoint, role: str, obj: str, expected: str, accept: str | None
) -> str | None:
    """The request of one cell, rolled back; a description of what is wrong, or None."""
    client = Client()
    if role != "anonymous":
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
    url = world.url(endpoint, obj)
    writes = endpoint.method != "GET"
    try:
        with transaction.atomic():
            before = snapshot() if writes else None
            response = send(client, endpoint, url, accept)
            body = body_of(response)
            after = snapshot() if writes else None
            walked = follow_redirects(client, endpoint.method, url, response)
            transaction.set_rollback(True)
    except Exception as exc:  # the test client re-raises what became a 500
        return f"{endpoint.method} {url}: raised {type(exc).__name__}: {exc} (a 500)"
    finally:
        restore_files(world)
    actual = outcome_of(response, endpoint)
    where = f"{endpoint.method} {url}{' as HTML' if accept else ''} -> {response.status_code}"
    if response.status_code >= 500:
        return f"{where}: a server error"
    if walked:
        return f"{where}: following its redirects, {walked}"
    if expected == "blind":
        if actual != "ok" or 300 <= response.status_code < 400:
            return f"{where}: expected a page showing nothing of A's, got {actual}"
    elif actual != expected:
        location = f" (to {response['Location']})" if response.has_header("Location") else ""
        return f"{where}{location}: expected {expected}, got {actual}"
    if expected in REFUSALS:
        leaked = [title for title in set(TITLES.values()) if title in body]
        if leaked:
            return f"{where}: expected {expected} and no leak, but the body shows {leaked}"
        if writes and before != after:
            changed = sorted(k for k in before if before[k] != after[k])
            return f"{where}: refused ({expected}) but changed {', '.join(changed)}"
    secrets = [text for text, readers in SECRETS.items() if role not in readers and text in body]
    if secrets:
        return f"{where}: shows what {role} may never see: {secrets}"
    shows_object = response.status_code == 200 and not response.streaming and obj in TITLES
    if expected == "ok" and endpoint.method == "GET" and shows_object and TITLES[obj] not in body:
        return f"{where}: ok, but the page does not show the object ({TITLES[obj]!r})"
    return None


# --- Tests --------------------------------------------------------------------------------------


def test_every_route_and_api_operation_has_a_row():
    """A page or API operation without a row here would ship unchecked."""
    problems = [
        f"{key}: no row in MATRIX; add one saying, for each role and object, what it answers"
        for key in ENDPOINTS
        if key not in MATRIX
    ]
    for key, row in MATRIX.items():
        endpoint = ENDPOINTS.get(key)
        if endpoint is None:
            if key.split(" ", 1)[1] not in CONDITIONAL:
                problems.append(f"{key}: in MATRIX, but no such route or API operation")
            continue
        if tuple(row) != endpoint.objects:
            problems.append(f"{key}: the row lists {tuple(row)}, the URL takes {endpoint.objects}")
        for obj, outcomes in row.items():
            cells = outcomes.split()
            if len(cells) != len(ROLES) or not set(cells) <= OUTCOMES:
                problems.append(f"{key}, {obj}: {outcomes!r} is not one outcome per role")
    assert not problems, "\n".join(problems)


def test_the_api_routes_and_the_schema_agree():
    """Every API route is in the schema (its operations have rows) and every path in the
    schema is routed."""
    routed = {as_schema_path(r) for r in ROUTES if r.startswith("/api/") and not skip_reason(r)}
    documented = {e.route for e in API_OPERATIONS}
    assert routed == documented, (
        f"routed, not in the schema: {sorted(routed - documented)}; "
        f"in the schema, not routed: {sorted(documented - routed)}"
    )


def test_every_skip_names_its_reason():
    skipped = [r for r in ROUTES if skip_reason(r)]
    assert skipped, "nothing is skipped: is the resolver walk still finding the admin?"
    assert all(reason.strip() for reason in SKIPPED.values())
    unrouted = ADMIN_CHECKED - set(ROUTES)
    assert not unrouted, f"admin pages checked here but no longer routed: {sorted(unrouted)}"


@pytest.mark.parametrize("size", [SIZE])
def test_the_matrix_size_is(size):
    print(f"\npermission matrix: {size}")  # also in the test id
    assert size.endswith(f"= {CELLS} cells")


@pytest.mark.django_db
@pytest.mark.parametrize("key", list(ENDPOINTS))
def test_permission_matrix(key, world):
    if key not in MATRIX:
        pytest.fail(f"{key} has no row in MATRIX: say what each role gets, or skip it (SKIPPED)")
    endpoint = ENDPOINTS[key]
    rows = MATRIX[key]
    public = all(cell == "ok" for outcomes in rows.values() for cell in outcomes.split())
    # The browser reads the API with its session, and DRF then answers its browsable HTML page
    # (forms included): it must refuse and hide exactly as the JSON does.
    accepts = (None, "text/html") if endpoint.api and endpoint.method == "GET" else (None,)
    failures = [
        f"  {role}, {obj}: {problem}"
        for obj, outcomes in rows.items()
        for role, expected in zip(ROLES, outcomes.split(), strict=True)
        for accept in (accepts if not public else (None,))
        if (problem := check_cell(world, endpoint, role, obj, expected, accept))
    ]
    assert not failures, f"{key}\n" + "\n".join(failures)
