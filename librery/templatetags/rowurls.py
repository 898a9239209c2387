"""`{% row_url "projects:detail" project.slug %}`: what `{% url %}` gives, for the
rows of a table, without walking the URL patterns for each row
(`librery.reversing.row_reverse`)."""

from __future__ import annotations

from typing import Any

from django import template

from librery.reversing import row_reverse

register = template.Library()


@register.simple_tag(takes_context=True)
def row_url(context: template.Context, name: str, argument: Any) -> str:
    return row_reverse(name, argument, urlconf=getattr(context.get("request"), "urlconf", None))
