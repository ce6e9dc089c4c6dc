"""The image file of a sample: DESIGN's image-bytes rule (`normalised_image_bytes`), then `max_side`."""

from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass

from PIL import Image

from biomedica_spark.images.decode import open_image
from biomedica_spark.images.normalise import EXPORT_JPEG_QUALITY, normalised_image_bytes
from biomedica_spark.quarantine import QuarantineItem, Reason, Stage


@dataclass(frozen=True)
class ExportedImage:
    data: bytes
    extension: str  # "jpg" or "png"
    width: int  # as a viewer shows it (EXIF orientation applied)
    height: int


def export_image(
    data: bytes | None, max_side: int | None = None, stored_size: tuple[int, int] | None = None
) -> ExportedImage | QuarantineItem:
    """The bytes written as `<key>.jpg|png`; an unusable image is a QuarantineItem of stage export.

    `stored_size` (the `images` row's width and height) is the size of an image kept as it is, which
    spares opening it a second time; re-encoded images are measured from their new header."""
    if data is None:
        return QuarantineItem(Stage.EXPORT, Reason.IMAGE_MISSING, "no image bytes in the images table")
    result = normalised_image_bytes(data)
    if isinstance(result, QuarantineItem):
        return dataclasses.replace(result, stage=Stage.EXPORT)
    out, extension = result
    if out is data and stored_size is not None:
        width, height = stored_size
    else:
        # Only the header is read: normalised output carries no EXIF rotation.
        with Image.open(io.BytesIO(out)) as written:
            width, height = written.size
    if max_side is None or max(width, height) <= max_side:
        return ExportedImage(out, extension, width, height)
    return _downsized(out, extension, max_side)


def _downsized(data: bytes, extension: str, max_side: int) -> ExportedImage | QuarantineItem:
    opened = open_image(data)
    if isinstance(opened, QuarantineItem):  # our own encoder's output: cannot fail unless memory does
        return dataclasses.replace(opened, stage=Stage.EXPORT)
    image = opened.image
    image.draft(image.mode, (max_side, max_side))  # JPEG: decode at the nearest larger power-of-two scale
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    icc_profile = image.info.get("icc_profile")
    if extension == "jpg":
        image.save(out, "JPEG", quality=EXPORT_JPEG_QUALITY, subsampling=0, icc_profile=icc_profile)
    else:
        image.save(out, "PNG", icc_profile=icc_profile)
    return ExportedImage(out.getvalue(), extension, image.width, image.height)
