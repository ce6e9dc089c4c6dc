"""analyse_image end to end: what an `images` row says, and which copies hash alike."""

from __future__ import annotations

import hashlib
import io
import math

import numpy as np
import pytest
from PIL import Image, ImageDraw

from biomedica_spark.images.analyse import analyse_image
from biomedica_spark.images.hashing import hamming64
from biomedica_spark.images.model import ImageInfo

ORIENTATION_TAG = 0x0112


def _encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def _analyse(data: bytes, *, min_side: int = 16, draft: bool = True) -> ImageInfo:
    result = analyse_image(data, min_side=min_side, draft=draft)
    assert isinstance(result, ImageInfo), result
    return result


def _hamming256(a: bytes, b: bytes) -> int:
    return sum((x ^ y).bit_count() for x, y in zip(a, b, strict=True))


def _plot(seed: int = 0, size: tuple[int, int] = (480, 360), mode: str = "RGB") -> Image.Image:
    """A line plot on white: axes, ticks and a seeded curve, like most figures in PMC."""
    rng = np.random.default_rng(seed)
    width, height = size
    image = Image.new(mode, size, "white")
    draw = ImageDraw.Draw(image)
    left, bottom = 50, height - 40
    draw.line((left, 20, left, bottom, width - 20, bottom), fill="black", width=2)
    for tick in range(left, width - 20, 60):
        draw.line((tick, bottom, tick, bottom + 6), fill="black", width=2)
    phase, frequency = rng.uniform(0, math.pi), rng.uniform(1, 4)
    points = [
        (x, bottom - 20 - (bottom - 60) * (0.5 + 0.45 * math.sin(phase + frequency * (x - left) / 100)))
        for x in range(left + 5, width - 25, 4)
    ]
    draw.line(points, fill="blue" if mode == "RGB" else "black", width=3)
    return image


def _pad(image: Image.Image, fraction: float, colour: int | tuple[int, ...]) -> Image.Image:
    border = round(max(image.size) * fraction)
    padded = Image.new(image.mode, (image.width + 2 * border, image.height + 2 * border), colour)
    padded.paste(image, (border, border))
    return padded


def test_row_describes_the_original_bytes() -> None:
    data = _encode(_plot(), "PNG")
    info = _analyse(data)
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert (info.format, info.width, info.height, info.mode, info.bit_depth) == ("PNG", 480, 360, "RGB", 8)
    assert info.exif_orientation is None
    assert len(info.phash256) == 32
    assert not info.is_near_blank


def test_transparent_figure_hashes_like_its_white_background_version() -> None:
    white = _plot()
    transparent = white.convert("RGBA")
    alpha = np.where(np.asarray(white.convert("L")) == 255, 0, 255).astype(np.uint8)
    transparent.putalpha(Image.fromarray(alpha))
    # Transparent pixels carry black colour, as many exporters write them: only compositing saves the hash.
    pixels = np.asarray(transparent).copy()
    pixels[pixels[:, :, 3] == 0] = (0, 0, 0, 0)
    a = _analyse(_encode(white, "PNG"))
    b = _analyse(_encode(Image.fromarray(pixels), "PNG"))
    assert hamming64(a.phash64, b.phash64) <= 2
    assert _hamming256(a.phash256, b.phash256) <= 8


def test_exif_rotated_jpeg_hashes_like_the_rotated_pixels() -> None:
    stored = _plot(mode="L", size=(180, 120))  # below the reduced size: no draft scaling, exact pixels
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = 6
    rotated_jpeg = _encode(stored, "JPEG", quality=95, exif=exif.tobytes())
    upright = Image.open(io.BytesIO(rotated_jpeg)).transpose(Image.Transpose.ROTATE_270)
    info = _analyse(rotated_jpeg)
    reference = _analyse(_encode(upright, "PNG"))
    assert (info.exif_orientation, info.width, info.height) == (6, 180, 120)
    assert (info.phash64, info.phash256) == (reference.phash64, reference.phash256)
    assert (info.trimmed_width, info.trimmed_height) == (reference.trimmed_width, reference.trimmed_height)
    assert info.trimmed_height > info.trimmed_width  # reported upright
    unrotated = _analyse(_encode(stored, "JPEG", quality=95))
    assert hamming64(info.phash64, unrotated.phash64) > 10


@pytest.mark.parametrize("fraction", [0.05, 0.15])
@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_near_white_padding_is_trimmed_before_hashing(fraction: float, fmt: str) -> None:
    figure = _plot(seed=1)
    original = _analyse(_encode(figure, fmt))
    padded = _analyse(_encode(_pad(figure, fraction, (250, 250, 250)), fmt))
    assert hamming64(original.phash64, padded.phash64) <= 4
    assert abs(padded.trimmed_width - original.trimmed_width) <= 0.02 * original.trimmed_width


def test_resized_and_recompressed_copy_stays_close() -> None:
    figure = _plot(seed=2, size=(960, 720))
    original = _analyse(_encode(figure, "PNG"))
    copy = _analyse(_encode(figure.resize((480, 360), Image.Resampling.LANCZOS), "JPEG", quality=80))
    assert hamming64(original.phash64, copy.phash64) <= 6


def test_distinct_plots_are_far_apart() -> None:
    a, b = _analyse(_encode(_plot(seed=3), "PNG")), _analyse(_encode(_plot(seed=4), "PNG"))
    assert _hamming256(a.phash256, b.phash256) > 40


@pytest.mark.parametrize(
    "image",
    [
        Image.new("RGB", (300, 200), "white"),
        Image.new("L", (300, 200), 0),
        Image.new("RGB", (300, 200), (20, 120, 200)),
        Image.fromarray(np.random.default_rng(5).integers(0, 256, (12, 40), dtype=np.uint8)),
    ],
    ids=["all-white", "all-black", "one-colour", "tiny"],
)
def test_near_blank_images(image: Image.Image) -> None:
    assert _analyse(_encode(image, "PNG")).is_near_blank


def test_small_dot_on_white_is_near_blank_after_trim() -> None:
    image = Image.new("L", (400, 400), 255)
    ImageDraw.Draw(image).ellipse((200, 200, 206, 206), fill=0)
    info = _analyse(_encode(image, "PNG"))
    assert info.trimmed_width < 16 and info.is_near_blank


def test_line_drawing_on_white_is_not_near_blank() -> None:
    image = Image.new("L", (800, 600), 255)
    ImageDraw.Draw(image).line((0, 599, 799, 0), fill=0, width=2)
    info = _analyse(_encode(image, "PNG"))
    assert 0 < info.info_score < 0.2
    assert not info.is_near_blank
    assert not _analyse(_encode(_plot(), "JPEG")).is_near_blank


def test_min_side_is_configurable() -> None:
    data = _encode(_plot().resize((60, 45), Image.Resampling.LANCZOS), "PNG")
    assert not _analyse(data, min_side=16).is_near_blank
    assert _analyse(data, min_side=64).is_near_blank


def test_draft_decode_is_close_to_the_full_decode() -> None:
    # A dense picture (micrograph-like blobs). Sparse thin-line plots drift more (up to ~10 of 64 bits
    # between any two decoders): their low DCT coefficients crowd around the median.
    rng = np.random.default_rng(6)
    blobs = Image.fromarray(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8))
    data = _encode(blobs.resize((1600, 1200), Image.Resampling.BICUBIC), "JPEG", quality=90)
    drafted, full = _analyse(data), _analyse(data, draft=False)
    assert hamming64(drafted.phash64, full.phash64) <= 2
    assert (drafted.width, drafted.height) == (full.width, full.height) == (1600, 1200)
    assert (drafted.trimmed_width, drafted.trimmed_height) == (full.trimmed_width, full.trimmed_height)
