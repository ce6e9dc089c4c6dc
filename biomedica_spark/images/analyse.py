"""One image's bytes -> an `images` row (`ImageInfo`) or a `QuarantineItem`.

One decode serves every hash: JPEGs are decoded by libjpeg at 1/2, 1/4 or 1/8 scale straight to
greyscale (`draft`), other formats are decoded in full, normalised, then box-reduced by an integer
factor; either way the short side stays at least REDUCED_MIN_SIDE so the trimmed picture still feeds the
64×64 pHash-256 input. Then: greyscale, near-white border trim, pHash-64, pHash-256, information score.
Hashes only compare within this one decode path (`draft=True`, the default); `draft=False` decodes at
full size and exists to measure what the reduction costs.
"""

from __future__ import annotations

import hashlib

from PIL import Image

from biomedica_spark.images.decode import DEFAULT_MAX_PIXELS, load_pixels, open_image
from biomedica_spark.images.hashing import (
    DEFAULT_MIN_SIDE,
    info_score,
    is_near_blank,
    phash64,
    phash256,
)
from biomedica_spark.images.model import ImageInfo
from biomedica_spark.images.normalise import border_box, normalise
from biomedica_spark.quarantine import QuarantineItem

# Measured on the real PMC JPEGs against the full decode: 192 keeps pHash-64 within 2 bits (128: up to 4,
# 64: up to 6) at no extra cost on large images, since draft scales are powers of two.
REDUCED_MIN_SIDE = 192
INFO_SCORE_SIDE = 128  # info_score runs on the trimmed picture fitted into this square
_ROTATING_ORIENTATIONS = (5, 6, 7, 8)  # EXIF orientations that swap width and height


def analyse_image(
    data: bytes,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    min_side: int = DEFAULT_MIN_SIDE,
    draft: bool = True,
) -> ImageInfo | QuarantineItem:
    """Describe and hash one image; bad bytes come back as a `QuarantineItem`, never as an exception.

    `min_side` feeds the near-blank gate (trimmed width or height below it). `draft=False` decodes at
    full size: only for measuring the reduced decode, its hashes are not comparable bit for bit.
    """
    opened = open_image(data, max_pixels=max_pixels)
    if isinstance(opened, QuarantineItem):
        return opened
    header = opened.header
    if draft and header.format == "JPEG":
        # "L" only changes YCbCr/RGB JPEGs (the decoder skips chroma); CMYK and grey keep their mode.
        opened.image.draft("L", (REDUCED_MIN_SIDE, REDUCED_MIN_SIDE))
    loaded = load_pixels(opened.image)
    if isinstance(loaded, QuarantineItem):
        return loaded
    grey = normalise(loaded).convert("L")
    if draft:
        grey = _reduce(grey, REDUCED_MIN_SIDE)
    box = border_box(grey)
    trimmed = grey.crop(box)

    # Trimmed size in full-resolution pixels, after EXIF rotation: the reduced picture is a scaled copy.
    upright_width, upright_height = header.width, header.height
    if header.exif_orientation in _ROTATING_ORIENTATIONS:
        upright_width, upright_height = upright_height, upright_width
    trimmed_width = max(1, round(trimmed.width * upright_width / grey.width))
    trimmed_height = max(1, round(trimmed.height * upright_height / grey.height))

    score = info_score(_fit_within(trimmed, INFO_SCORE_SIDE))
    return ImageInfo(
        sha256=hashlib.sha256(data).hexdigest(),
        format=header.format,
        width=header.width,
        height=header.height,
        mode=header.mode,
        bit_depth=header.bit_depth,
        exif_orientation=header.exif_orientation,
        phash64=phash64(trimmed),
        phash256=phash256(trimmed),
        info_score=score,
        is_near_blank=is_near_blank(score, trimmed_width, trimmed_height, min_side=min_side),
        trimmed_width=trimmed_width,
        trimmed_height=trimmed_height,
    )


def _reduce(image: Image.Image, min_side: int) -> Image.Image:
    """Box-average by the largest integer factor that keeps the short side at least `min_side`."""
    factor = min(image.size) // min_side
    return image.reduce(factor) if factor >= 2 else image


def _fit_within(image: Image.Image, side: int) -> Image.Image:
    factor = -(-max(image.size) // side)  # ceiling division
    return image.reduce(factor) if factor >= 2 else image
