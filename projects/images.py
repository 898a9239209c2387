"""Project logos: check that an upload is an image, resize it, cap its size.

The pixel count is read from the image's header and checked BEFORE anything is
decoded (a 6 300 x 6 300 PNG of a few kB would take 400 MB once decoded), and
Pillow's own decompression-bomb cap is set to the same figure."""

from __future__ import annotations

import io
import warnings

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from projects.errors import ProjectsError

MAX_LOGO_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_LOGO_PIXELS = 16_000_000  # refuse decompression bombs before decoding
Image.MAX_IMAGE_PIXELS = MAX_LOGO_PIXELS
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
        with warnings.catch_warnings():
            # Between the cap and twice the cap Pillow only warns: our check refuses.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:  # reads the header only
                kind = probe.format
                width, height = probe.size
                if width * height > MAX_LOGO_PIXELS:
                    raise _too_many_pixels()
                probe.verify()
        if kind not in _FORMATS:
            raise LogoError(_("The logo must be a PNG, JPEG, GIF or WebP image."))
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            converted = image.convert("RGBA")
    except Image.DecompressionBombError as exc:
        raise _too_many_pixels() from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, LogoError):
            raise
        raise LogoError(_("This file is not an image that can be read.")) from exc
    converted.thumbnail((LOGO_SIZE, LOGO_SIZE))
    out = io.BytesIO()
    converted.save(out, format="PNG", optimize=True)
    return ContentFile(out.getvalue())


def _too_many_pixels() -> LogoError:
    return LogoError(
        _("The logo has too many pixels: at most %(max)d megapixels.")
        % {"max": MAX_LOGO_PIXELS // 1_000_000}
    )
