from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.urls import translate_url
from django.utils.translation import get_language, get_language_info


def site(request: HttpRequest) -> dict[str, object]:
    return {"SITE_URL": settings.SITE_URL, "LIBRERY_DEMO": settings.LIBRERY_DEMO}


def language_links(request: HttpRequest) -> dict[str, object]:
    """The current page in each language. The URL carries the language (French
    unprefixed, English under /en/), so the switcher is a plain link."""
    current = get_language()
    query = request.META.get("QUERY_STRING", "")
    links = []
    for code, _name in settings.LANGUAGES:
        url = translate_url(request.path, code)
        if url == request.path and code != current:
            url = "/" if code == settings.LANGUAGE_CODE else f"/{code}/"
        elif query:
            url = f"{url}?{query}"
        links.append(
            {
                "code": code,
                "name": get_language_info(code)["name_local"],
                "url": url,
                "current": code == current,
            }
        )
    return {"language_links": links}
