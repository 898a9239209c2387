"""The publication log's head, shown on the transparency and register pages:
`{% load publication %}{% publication_head %}`."""

from __future__ import annotations

from typing import Any

from django import template

from librery.selectors import publication_head as head_entry

register = template.Library()


@register.inclusion_tag("includes/publication_head.html")
def publication_head() -> dict[str, Any]:
    return {"head": head_entry()}
