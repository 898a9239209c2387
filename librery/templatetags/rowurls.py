"""`{% row_url "projects:detail" project.slug %}`: what `{% url %}` gives, for the
rows of a table. Django's `reverse` walks the URL patterns on each call (a good
part of a long table's rendering); this reverses each view once per language
around a placeholder argument and puts each row's argument in its place. Only an
argument that needs no quoting and that the view's pattern accepts is put in
place; anything else goes through `reverse`."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from django import template
from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils.translation import get_language

register = template.Library()

PLACEHOLDER = "86420975310"  # digits: accepted by the int, slug and str converters
_WORD_PROBE = "row-url_probe"  # accepted by slug and str, refused by int
_PLAIN = re.compile(r"[-a-zA-Z0-9_]+\Z")  # what the slug converter accepts; never quoted


@lru_cache(maxsize=512)
def _around(
    name: str, language: str | None, prefix: str, urlconf: str | None
) -> tuple[str, str, bool] | None:
    """(before, after, whether words are accepted) of the view's URL around its one
    argument, or None when the URL cannot be cut there."""
    try:
        url = reverse(name, args=[PLACEHOLDER], urlconf=urlconf)
    except NoReverseMatch:  # a pattern of its own (a month): `reverse` each time
        return None
    if url.count(PLACEHOLDER) != 1:
        return None
    try:
        reverse(name, args=[_WORD_PROBE], urlconf=urlconf)
    except NoReverseMatch:
        words = False
    else:
        words = True
    before, _placeholder, after = url.partition(PLACEHOLDER)
    return before, after, words


@register.simple_tag(takes_context=True)
def row_url(context: template.Context, name: str, argument: Any) -> str:
    urlconf = getattr(context.get("request"), "urlconf", None)
    text = str(argument)
    if _PLAIN.match(text):
        # Keyed by the URLconf in force (the request's, else the settings'),
        # so that another root URLconf never gets this one's URLs.
        key = urlconf or settings.ROOT_URLCONF
        around = _around(name, get_language(), get_script_prefix(), key)
        if around is not None and (around[2] or text.isdigit()):
            return f"{around[0]}{text}{around[1]}"
    return reverse(name, args=[argument], urlconf=urlconf)
