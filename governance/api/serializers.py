"""governance API: serializers."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import serializers

from governance.enums import Choice
from governance.models import Ballot, Vote
from librery.reversing import row_reverser


class BallotSerializer(serializers.ModelSerializer[Ballot]):
    class Meta:
        model = Ballot
        fields = [
            "id",
            "kind",
            "title",
            "description",
            "majority",
            "effect",
            "status",
            "opens_at",
            "closes_at",
            "electorate_fingerprint",
            "decision_number",
        ]
        read_only_fields = fields


def _public_url(serializer: serializers.Serializer[Any], name: str, pk: int) -> str:
    """An absolute, unprefixed address of a public page (the same in every
    language). What a page of the list needs once (the site's address, the view
    cut around its argument) is kept in the serializers' shared context."""
    found = serializer.context.setdefault("public_urls", {})
    if name not in found:
        request = serializer.context.get("request")
        site = request.build_absolute_uri("/") if request is not None else settings.SITE_URL
        found[name] = (site.rstrip("/"), row_reverser(name, language=settings.LANGUAGE_CODE))
    site, reverse_one = found[name]
    return str(site + reverse_one(pk))


class DecisionSerializer(serializers.ModelSerializer[Ballot]):
    """A released decision in the register's list: its page, its bundle and the
    bundle's hash, so that a client can fetch the bundle and check it as
    `verify.py ballot` does, and its detail's address (`api_url`), which gives
    the result. The list leaves the result out: a round's result names every
    project voted for, so a page of rounds would grow with the catalogue."""

    url = serializers.SerializerMethodField()
    api_url = serializers.SerializerMethodField()
    bundle_url = serializers.SerializerMethodField()
    bundle_sha256 = serializers.CharField(source="bundle_hash", read_only=True)

    def get_url(self, obj: Ballot) -> str:
        return _public_url(self, "governance:decision", obj.pk)

    def get_bundle_url(self, obj: Ballot) -> str:
        return _public_url(self, "governance:bundle", obj.pk)

    def get_api_url(self, obj: Ballot) -> str:
        return _public_url(self, "api-decision-detail", obj.pk)

    class Meta:
        model = Ballot
        fields = [
            "id",
            "decision_number",
            "kind",
            "title",
            "effect",
            "adopted",
            "opens_at",
            "closes_at",
            "released_at",
            "electorate_fingerprint",
            "bundle_hash",
            "url",
            "api_url",
            "bundle_url",
            "bundle_sha256",
        ]
        read_only_fields = fields


class DecisionDetailSerializer(DecisionSerializer):
    """One decision, with its result and its published bundle."""

    class Meta(DecisionSerializer.Meta):
        fields = [*DecisionSerializer.Meta.fields, "result", "bundle"]
        read_only_fields = fields


class VoteSerializer(serializers.ModelSerializer[Vote]):
    class Meta:
        model = Vote
        fields = [
            "ballot",
            "seat",
            "member",
            "cast_by",
            "choice",
            "points",
            "receipt",
            "version",
            "cast_at",
        ]
        read_only_fields = fields


class VoteInputSerializer(serializers.Serializer[Any]):
    seat = serializers.IntegerField(required=False, allow_null=True)
    choice = serializers.ChoiceField(choices=Choice.choices, required=False, allow_blank=True)
    points = serializers.DictField(
        child=serializers.IntegerField(min_value=0), required=False, allow_empty=True
    )
