"""governance API: serializers."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from governance.enums import Choice
from governance.models import Ballot, Vote


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


class DecisionSerializer(serializers.ModelSerializer[Ballot]):
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
            "result",
            "bundle_hash",
        ]
        read_only_fields = fields


class DecisionDetailSerializer(DecisionSerializer):
    class Meta(DecisionSerializer.Meta):
        fields = [*DecisionSerializer.Meta.fields, "bundle"]
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
