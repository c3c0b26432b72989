"""Uploaded pictures made safe to store and show: checked, turned upright, scaled down,
and written anew without their metadata (camera, time, GPS position)."""

from __future__ import annotations

import io

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a larger picture is refused before it is decoded
FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}


def image_clean(upload, *, max_side: int = 1600, name: str = "image") -> ContentFile:
    """``upload`` (a file) as a new JPEG, or PNG where it has transparency, at most
    ``max_side`` pixels on its longer side. Raise ValidationError (in the person's
    language) for a file that is too big or is not a picture."""
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("The picture is larger than %(mb)s MB.") % {"mb": MAX_UPLOAD_BYTES // 2**20}
        )
    upload.seek(0)
    try:
        with Image.open(upload) as probe:
            kind = probe.format
            width, height = probe.size
            if kind not in FORMATS:
                raise ValidationError(_("Upload a JPEG, PNG, WebP or GIF picture."))
            if width * height > MAX_PIXELS:
                raise ValidationError(_("The picture has too many pixels."))
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as picture:
            picture.load()
            picture = ImageOps.exif_transpose(picture)
            picture.thumbnail((max_side, max_side))
            transparent = picture.mode in ("RGBA", "LA", "PA") or (
                picture.mode == "P" and "transparency" in picture.info
            )
            out = io.BytesIO()
            if transparent:
                picture.convert("RGBA").save(out, "PNG", optimize=True)
                extension = "png"
            else:
                picture.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
                extension = "jpg"
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(_("This file is not a picture that can be read.")) from None
    return ContentFile(out.getvalue(), name=f"{name}.{extension}")
