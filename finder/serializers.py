"""The finder's answers in the API. Its inputs are finder.forms.FinderForm, shared with the page."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework import serializers

from finder import ranking
from portal.validators import InputSerializer


class ReasonSerializer(serializers.Serializer):
    topic = serializers.CharField()
    text = serializers.CharField()
    fit = serializers.BooleanField(allow_null=True, help_text="In favour, against, or unknown.")


class RankedSerializer(serializers.Serializer):
    system = serializers.SerializerMethodField()
    factory = serializers.SerializerMethodField()
    mode = serializers.SerializerMethodField()
    can_take = serializers.BooleanField(help_text="Whether it can take the application now.")
    apply_url = serializers.SerializerMethodField(
        help_text="Starts a draft with this system and mode (after sign-in); null when it "
        "cannot take the application now."
    )
    reasons = ReasonSerializer(many=True)

    def get_system(self, result: ranking.Ranked) -> dict[str, str]:
        return {"slug": result.system.slug, "name": result.system.name}

    def get_factory(self, result: ranking.Ranked) -> dict[str, str]:
        return {
            "slug": result.system.factory_slug,
            "name": result.system.factory_name,
            "country": result.system.factory_country,
        }

    def get_mode(self, result: ranking.Ranked) -> dict[str, Any] | None:
        if result.mode is None:
            return None
        return {"slug": result.mode.slug, "name": result.mode.name, "reason": result.mode.reason}

    def get_apply_url(self, result: ranking.Ranked) -> str | None:
        if not result.can_take or result.mode is None:
            return None
        path = reverse("applications:application-new")
        return f"{path}?system={result.system.slug}&mode={result.mode.slug}"


class FinderResultSerializer(serializers.Serializer):
    results = RankedSerializer(many=True)


class AlternativesSerializer(serializers.Serializer):
    application = serializers.DictField(help_text="The application's id and title.")
    offered = serializers.BooleanField(help_text="Whether a move is offered now.")
    why = serializers.CharField(help_text="Why a move is offered; empty when it is not.")
    proposed = serializers.ListField(
        child=serializers.CharField(), help_text="Systems (slugs) the portal's staff propose."
    )
    alternatives = RankedSerializer(many=True)


class MoveInputSerializer(InputSerializer):
    system = serializers.SlugField(max_length=80, help_text="One of the alternatives offered.")
