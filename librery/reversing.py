"""`row_reverse(name, argument)`: what `reverse(name, args=[argument])` gives, for
the rows of a table or the items of an API page. Django's `reverse` walks the URL
patterns on each call (a good part of a long table's rendering, and of an API page
that gives three addresses per item); this reverses each view once per language
around a placeholder argument and puts each row's argument in its place. Only an
argument that needs no quoting and that the view's pattern accepts is put in
place; anything else is reversed, and remembered when it is plain (a month: a
pattern of its own, a few dozen arguments)."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils import translation
from django.utils.translation import get_language

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
    except NoReverseMatch:  # a pattern of its own (a month)
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


@lru_cache(maxsize=2048)
def _reversed(
    name: str, number: bool, text: str, language: str | None, prefix: str, urlconf: str | None
) -> str:
    """`reverse` of a plain argument the placeholder cannot stand for, remembered
    (an argument `reverse` refuses raises and is not)."""
    return reverse(name, args=[int(text) if number else text], urlconf=urlconf)


def _plain(argument: Any) -> bool:
    """A string or a number (not a boolean) written with no character a URL quotes."""
    return (
        isinstance(argument, str | int)
        and not isinstance(argument, bool)
        and _PLAIN.match(str(argument)) is not None
    )


def _in_place(around: tuple[str, str, bool] | None, argument: Any) -> str | None:
    """The view's URL with `argument` in the placeholder's place, or None when the
    placeholder cannot stand for it (quoting, a pattern of its own, a word where
    the view takes numbers)."""
    if around is None or not _plain(argument):
        return None
    text = str(argument)
    if not (around[2] or text.isdigit()):
        return None
    return f"{around[0]}{text}{around[1]}"


def row_reverse(name: str, argument: Any, *, urlconf: str | None = None) -> str:
    """`reverse(name, args=[argument], urlconf=urlconf)`, without walking the URL
    patterns for each row. Keyed by the URLconf in force (the given one, else the
    request's, else the settings'), the language and the script prefix, so that
    another root URLconf or language never gets this one's URLs."""
    key = urlconf or get_urlconf() or settings.ROOT_URLCONF
    language, prefix = get_language(), get_script_prefix()
    around = _around(name, language, prefix, key)
    found = _in_place(around, argument)
    if found is not None:
        return found
    if around is None and _plain(argument):
        number = isinstance(argument, int)
        return _reversed(name, number, str(argument), language, prefix, key)
    return reverse(name, args=[argument], urlconf=urlconf)


def row_reverser(
    name: str, *, language: str | None = None, urlconf: str | None = None
) -> Callable[[Any], str]:
    """A function of the argument that gives `row_reverse(name, argument)` in
    `language` (by default the active one), for a list that reverses one view for
    each of its items: the view is cut around its argument once, here."""
    language = language or get_language()
    with translation.override(language):
        key = urlconf or get_urlconf() or settings.ROOT_URLCONF
        around = _around(name, language, get_script_prefix(), key)

    def reverse_one(argument: Any) -> str:
        found = _in_place(around, argument)
        if found is not None:
            return found
        with translation.override(language):
            return row_reverse(name, argument, urlconf=urlconf)

    return reverse_one
