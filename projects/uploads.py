"""The size of a request that carries an upload, checked from its Content-Length
BEFORE Django reads the body: a 50 MB post to a page that takes a 2 MB logo is
refused at once (the web server caps bodies too: docs/operations.md)."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from projects.fundingjson import MAX_MANIFEST_BYTES
from projects.images import MAX_LOGO_UPLOAD_BYTES

# The file, plus room for the form's other fields and the multipart framing.
MAX_MANIFEST_REQUEST_BYTES = MAX_MANIFEST_BYTES + 64 * 1024
MAX_PROJECT_EDIT_REQUEST_BYTES = MAX_LOGO_UPLOAD_BYTES + 512 * 1024


def upload_too_large(request: HttpRequest, max_bytes: int) -> str:
    """The refusal to show when the request's body is larger than `max_bytes`
    (an empty string when it is not)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length <= max_bytes:
        return ""
    return _("The upload is too large: at most %(size)s.") % {"size": filesizeformat(max_bytes)}
