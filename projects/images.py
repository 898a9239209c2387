"""Project logos: check that an upload is an image, resize it, cap its size."""

from __future__ import annotations

import io

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from projects.errors import ProjectsError

MAX_LOGO_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_LOGO_PIXELS = 40_000_000  # refuse decompression bombs before decoding
LOGO_SIZE = 256
_FORMATS = frozenset({"PNG", "JPEG", "GIF", "WEBP"})


class LogoError(ProjectsError, ValueError):
    """The upload is not an acceptable logo; the message says why (translated)."""


def logo_normalise(data: bytes) -> ContentFile[bytes]:
    """A PNG of at most LOGO_SIZE by LOGO_SIZE pixels made from the uploaded bytes."""
    if len(data) > MAX_LOGO_UPLOAD_BYTES:
        raise LogoError(
            _("The logo is too large: at most %(max)d kB.") % {"max": MAX_LOGO_UPLOAD_BYTES // 1024}
        )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format
            width, height = probe.size
            probe.verify()
        if kind not in _FORMATS:
            raise LogoError(_("The logo must be a PNG, JPEG, GIF or WebP image."))
        if width * height > MAX_LOGO_PIXELS:
            raise LogoError(_("The logo has too many pixels."))
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            converted = image.convert("RGBA")
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
    ) as exc:
        if isinstance(exc, LogoError):
            raise
        raise LogoError(_("This file is not an image that can be read.")) from exc
    converted.thumbnail((LOGO_SIZE, LOGO_SIZE))
    out = io.BytesIO()
    converted.save(out, format="PNG", optimize=True)
    return ContentFile(out.getvalue())
