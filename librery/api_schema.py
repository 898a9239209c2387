"""Shared pieces of the OpenAPI schema: the error answers every API view may
give, documented once, and the serializer fields whose schema DRF gets wrong.

Each API view lists the errors it can answer with `errors(...)`, so that the
schema documents every status code the view returns (schemathesis checks it:
tests/authz/test_api_schemathesis.py)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer[Any]):
    """DRF's answer to a refused request: not signed in, not allowed, not found."""

    detail = serializers.CharField()


# A refused input: each field (or `non_field_errors`, or `detail` for a refusal
# of the whole request) with its messages; nested fields nest.
VALIDATION_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": {
        "anyOf": [
            {"type": "string"},
            {"type": "array", "items": {"type": "string"}},
            {"type": "object"},
        ]
    },
}

_DESCRIPTIONS = {
    400: "The input is refused; the body says why, field by field.",
    403: "Not signed in, or not allowed to do this.",
    404: "No such object (or not yours), or no such page of the list.",
    429: "Too many requests of this kind: try again later.",
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """The documented error answers for `codes` (400, 403, 404, 429)."""
    responses: dict[int, OpenApiResponse] = {}
    for code in codes:
        body: Any = VALIDATION_ERROR_SCHEMA if code == 400 else ErrorSerializer  # noqa: PLR2004
        responses[code] = OpenApiResponse(response=body, description=_DESCRIPTIONS[code])
    return responses


@extend_schema_field({"type": "string", "anyOf": [{"format": "uri"}, {"maxLength": 0}]})
class OptionalURLField(serializers.CharField):
    """A URL that may be empty: the schema says "a URI, or the empty string"."""
