"""The image file of a sample: original bytes when plain, the normalised image otherwise, max_side."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from biomedica_spark.export.images import ExportedImage, export_image
from biomedica_spark.quarantine import QuarantineItem, Reason, Stage


def _picture(width: int = 120, height: int = 80) -> Image.Image:
    rng = np.random.default_rng(3)
    return Image.fromarray(rng.integers(0, 255, (height, width, 3), dtype=np.uint8), "RGB")


def _encode(image: Image.Image, fmt: str, **kwargs: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **kwargs)
    return out.getvalue()


def _exported(
    data: bytes | None, max_side: int | None = None, stored_size: tuple[int, int] | None = None
) -> ExportedImage:
    result = export_image(data, max_side, stored_size)
    assert isinstance(result, ExportedImage), result
    return result


def test_plain_jpeg_and_png_keep_their_bytes() -> None:
    for fmt, ext in (("JPEG", "jpg"), ("PNG", "png")):
        data = _encode(_picture(), fmt)
        exported = _exported(data)
        assert (exported.data, exported.extension, exported.width, exported.height) == (data, ext, 120, 80)


def test_alpha_is_composited_on_white() -> None:
    rgba = np.zeros((10, 20, 4), dtype=np.uint8)
    rgba[:, :10] = (255, 0, 0, 255)  # left half opaque red, right half transparent
    exported = _exported(_encode(Image.fromarray(rgba, "RGBA"), "PNG"))
    pixels = np.asarray(Image.open(io.BytesIO(exported.data)).convert("RGB"))
    assert exported.extension == "png"
    assert tuple(pixels[0, 0]) == (255, 0, 0) and tuple(pixels[0, 15]) == (255, 255, 255)


def test_sixteen_bit_is_rescaled_not_clipped() -> None:
    grey = (np.arange(256, dtype=np.uint16) * 257).reshape(16, 16)
    exported = _exported(_encode(Image.fromarray(grey), "PNG"))
    decoded = np.asarray(Image.open(io.BytesIO(exported.data)))
    assert decoded.dtype == np.uint8 and decoded.min() == 0 and decoded.max() == 255


def test_exif_rotation_is_applied_and_reported_size_is_upright() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6
    data = _encode(_picture(120, 80), "JPEG", exif=exif)
    exported = _exported(data)
    assert exported.data != data and exported.extension == "jpg"
    assert (exported.width, exported.height) == (80, 120)
    assert Image.open(io.BytesIO(exported.data)).size == (80, 120)


def test_max_side_downsizes_keeping_the_aspect_ratio() -> None:
    exported = _exported(_encode(_picture(400, 200), "PNG"), max_side=100)
    assert (exported.width, exported.height) == (100, 50)
    assert Image.open(io.BytesIO(exported.data)).size == (100, 50)
    small = _encode(_picture(60, 40), "JPEG")
    assert _exported(small, max_side=100).data == small


def test_unreadable_or_missing_images_become_export_quarantine_items() -> None:
    broken = export_image(_encode(_picture(), "JPEG")[:200])
    assert isinstance(broken, QuarantineItem)
    assert broken.stage is Stage.EXPORT and broken.reason is Reason.IMAGE_CORRUPT
    missing = export_image(None)
    assert isinstance(missing, QuarantineItem) and missing.reason is Reason.IMAGE_MISSING


def test_stored_size_is_trusted_only_for_images_kept_as_they_are() -> None:
    plain = _encode(_picture(120, 80), "PNG")
    assert (
        _exported(plain, stored_size=(120, 80)).width,
        _exported(plain, stored_size=(120, 80)).height,
    ) == (
        120,
        80,
    )
    exif = Image.Exif()
    exif[0x0112] = 6
    rotated = _exported(_encode(_picture(120, 80), "JPEG", exif=exif), stored_size=(120, 80))
    assert (rotated.width, rotated.height) == (80, 120)  # re-encoded: measured from the new header
