"""Synthetic figure images: varied pictures, every encoding PMC packages carry, and near-duplicate transforms.

Everything is a pure function of an `ImageSpec`, so an archive can re-create another archive's picture
(to plant a duplicate) without any shared state, and parallel workers write identical bytes.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import math
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageOps

STYLES = ("line_plot", "bar_chart", "scatter", "microscopy", "gradient", "line_drawing", "heatmap", "gel")

# encoding -> (file extension, Pillow format name)
ENCODINGS: dict[str, tuple[str, str]] = {
    "jpeg": ("jpg", "JPEG"),
    "grey_jpeg": ("jpg", "JPEG"),
    "cmyk_jpeg": ("jpg", "JPEG"),
    "exif_jpeg": ("jpg", "JPEG"),
    "png": ("png", "PNG"),
    "png16": ("png", "PNG"),
    "rgba_png": ("png", "PNG"),
    "palette_png": ("png", "PNG"),
    "tiff": ("tif", "TIFF"),
    "gif": ("gif", "GIF"),
}

# Near-duplicate transforms a dedup stage must catch (exact copies reuse the spec, hence the bytes).
TRANSFORMS = ("resave_q60", "resave_q90", "resize_half", "recompress", "pad")

EXIF_ORIENTATION_TAG = 0x0112
DEFAULT_QUALITY = 85
THUMBNAIL_SIDE = 150
_NOISE_TILE = 256


@dataclass(frozen=True)
class ImageSpec:
    key: tuple[int, ...]  # seeds the picture: equal keys (and style, size) give equal pixels
    style: str
    width: int
    height: int
    noise: int  # +- amplitude of pixel noise: texture that gives JPEGs real sizes
    encoding: str
    transform: str | None = None  # applied to the decoded `base` image
    base: ImageSpec | None = None
    max_bytes: int | None = None  # JPEG only: lower the quality until the file fits...
    min_bytes: int | None = None  # ...or raise it until the file is this large

    @property
    def extension(self) -> str:
        return ENCODINGS[self.encoding][0]

    @property
    def origin(self) -> tuple[int, ...]:
        """The key of the picture this image shows, through any near-duplicate transform."""
        return self.base.origin if self.base else self.key


@dataclass(frozen=True)
class RenderedImage:
    data: bytes
    thumbnail: bytes | None
    sha256: str
    format: str
    mode: str
    width: int
    height: int
    bit_depth: int
    exif_orientation: int | None


def near_duplicate(base: ImageSpec, transform: str) -> ImageSpec:
    if transform not in TRANSFORMS:
        raise ValueError(f"unknown transform {transform!r}")
    return replace(base, transform=transform, base=base, encoding="jpeg", max_bytes=None, min_bytes=None)


def render(spec: ImageSpec, *, thumbnail: bool = False) -> RenderedImage:
    picture = _transformed(spec) if spec.base else _picture(spec)
    data = _encode(picture, spec)
    thumb = _gif_thumbnail(picture) if thumbnail else None
    return describe(data, thumb)


def describe(data: bytes, thumbnail: bytes | None = None) -> RenderedImage:
    """What Pillow reports when it opens the bytes: the truth the pipeline is checked against."""
    with Image.open(io.BytesIO(data)) as opened:
        orientation = opened.getexif().get(EXIF_ORIENTATION_TAG)
        return RenderedImage(
            data=data,
            thumbnail=thumbnail,
            sha256=hashlib.sha256(data).hexdigest(),
            format=str(opened.format),
            mode=opened.mode,
            width=opened.width,
            height=opened.height,
            bit_depth=16 if opened.mode.startswith("I;16") else 8,
            exif_orientation=int(orientation) if orientation else None,
        )


def glyph_gif(key: tuple[int, ...], width: int, height: int) -> bytes:
    """A small formula-like GIF for inline graphics and formula graphics (never figures)."""
    rng = np.random.default_rng(key)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    x = 2
    while x < width - 6:
        step = int(rng.integers(4, 9))
        draw.line([(x, height - 4), (x + step // 2, 3), (x + step, height - 4)], fill=0, width=1)
        x += step + 2
    out = io.BytesIO()
    image.convert("P").save(out, "GIF")
    return out.getvalue()


# --- pictures ---------------------------------------------------------------------------------------


def _picture(spec: ImageSpec) -> Image.Image:
    return _cached_picture(spec.key, spec.style, spec.width, spec.height, spec.noise).copy()


@lru_cache(maxsize=8)
def _cached_picture(key: tuple[int, ...], style: str, width: int, height: int, noise: int) -> Image.Image:
    # Cached because an archive renders the same picture again for a planted copy or a TIFF rendition.
    rng = np.random.default_rng(key)
    image = _DRAWERS[style](rng, width, height)
    if noise:
        # Sensor-like noise gives JPEGs the sizes of real figures; a tiled field costs a fraction of
        # per-pixel random numbers on multi-megapixel images and JPEG cannot exploit the repetition.
        tile = rng.integers(-noise, noise + 1, (_NOISE_TILE, _NOISE_TILE, 3), dtype=np.int16)
        reps = (-(-height // _NOISE_TILE), -(-width // _NOISE_TILE), 1)
        pixels = np.asarray(image, dtype=np.int16)
        pixels += np.tile(tile, reps)[:height, :width]
        np.clip(pixels, 0, 255, out=pixels)
        image = Image.fromarray(pixels.astype(np.uint8), "RGB")
    return image


def _colour(rng: np.random.Generator) -> tuple[int, int, int]:
    r, g, b = (int(v) for v in rng.integers(0, 200, 3))
    return r, g, b


def _axes(draw: ImageDraw.ImageDraw, width: int, height: int) -> tuple[int, int, int, int]:
    left, top, right, bottom = width // 8, height // 10, width - width // 20, height - height // 8
    line = max(1, width // 200)
    draw.line([(left, top), (left, bottom), (right, bottom)], fill=(0, 0, 0), width=line)
    for i in range(6):
        x = left + (right - left) * i // 5
        y = bottom - (bottom - top) * i // 5
        draw.line([(x, bottom), (x, bottom + height // 60 + 1)], fill=(0, 0, 0), width=line)
        draw.line([(left - width // 80 - 1, y), (left, y)], fill=(0, 0, 0), width=line)
    return left, top, right, bottom


def _line_plot(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    left, top, right, bottom = _axes(draw, width, height)
    points = 24
    for _ in range(int(rng.integers(2, 5))):
        walk = np.cumsum(rng.normal(0, 1, points))
        walk = (walk - walk.min()) / (np.ptp(walk) + 1e-9)
        xs = np.linspace(left, right, points)
        ys = bottom - walk * (bottom - top) * 0.9
        draw.line(
            list(zip(xs.tolist(), ys.tolist(), strict=True)), fill=_colour(rng), width=max(1, width // 150)
        )
    return image


def _bar_chart(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    left, top, right, bottom = _axes(draw, width, height)
    bars = int(rng.integers(3, 9))
    slot = (right - left) / bars
    for i in range(bars):
        value = float(rng.uniform(0.1, 0.95))
        x0 = left + i * slot + slot * 0.15
        x1 = left + (i + 1) * slot - slot * 0.15
        y = bottom - value * (bottom - top)
        draw.rectangle([x0, y, x1, bottom], fill=_colour(rng), outline=(0, 0, 0))
        err = float(rng.uniform(0.02, 0.08)) * (bottom - top)
        mid = (x0 + x1) / 2
        draw.line([(mid, y - err), (mid, y + err)], fill=(0, 0, 0), width=max(1, width // 300))
    return image


def _scatter(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    left, top, right, bottom = _axes(draw, width, height)
    radius = max(1, width // 120)
    for _ in range(int(rng.integers(2, 4))):
        centre = rng.uniform([left, top], [right, bottom])
        spread = rng.uniform(0.05, 0.2) * (right - left)
        colour = _colour(rng)
        for x, y in rng.normal(centre, spread, (60, 2)).tolist():
            if left < x < right and top < y < bottom:
                draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=colour)
    return image


def _microscopy(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    """Fluorescence-like blobs: a smooth random field per channel, thresholded, in three colours."""
    cells = max(4, width // 24), max(4, height // 24)
    channels = []
    for weight in rng.uniform(0.2, 1.0, 3).tolist():
        field = Image.fromarray(rng.integers(0, 256, (cells[1], cells[0]), dtype=np.uint8), "L")
        smooth = field.resize((width, height), Image.Resampling.BICUBIC)
        channels.append(smooth.point([min(255, max(0, int((v - 150) * 2.5 * weight))) for v in range(256)]))
    return Image.merge("RGB", channels)


def _gradient(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    start, end = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    angle = float(rng.uniform(0, math.pi))
    # Computed on a coarse grid and scaled up: a linear ramp loses nothing to bilinear resampling.
    small_w, small_h = max(2, width // 16), max(2, height // 16)
    ys, xs = np.mgrid[0:small_h, 0:small_w].astype(np.float32)
    t = (xs * math.cos(angle) * width / small_w + ys * math.sin(angle) * height / small_h) / (width + height)
    t = (t - t.min()) / (np.ptp(t) + 1e-9)
    pixels = start[None, None, :] * (1 - t[..., None]) + end[None, None, :] * t[..., None]
    image = Image.fromarray(pixels.astype(np.uint8), "RGB").resize((width, height), Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(2, 6))):
        x0, y0 = float(rng.uniform(0, width * 0.8)), float(rng.uniform(0, height * 0.8))
        x1, y1 = x0 + float(rng.uniform(0.1, 0.4)) * width, y0 + float(rng.uniform(0.1, 0.4)) * height
        draw.ellipse([x0, y0, x1, y1], fill=_colour(rng))
    return image


def _line_drawing(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    line = max(1, width // 120)
    boxes = []
    for _ in range(int(rng.integers(3, 7))):
        x0, y0 = float(rng.uniform(0.05, 0.7)) * width, float(rng.uniform(0.05, 0.7)) * height
        x1, y1 = x0 + float(rng.uniform(0.1, 0.25)) * width, y0 + float(rng.uniform(0.08, 0.2)) * height
        if rng.random() < 0.5:
            draw.rectangle([x0, y0, x1, y1], outline=(0, 0, 0), width=line)
        else:
            draw.ellipse([x0, y0, x1, y1], outline=(0, 0, 0), width=line)
        boxes.append(((x0 + x1) / 2, (y0 + y1) / 2))
    for (ax, ay), (bx, by) in itertools.pairwise(boxes):
        draw.line([(ax, ay), (bx, by)], fill=(0, 0, 0), width=line)
    return image


def _heatmap(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    rows, cols = int(rng.integers(6, 20)), int(rng.integers(4, 14))
    values = np.sort(rng.random((rows, cols)), axis=int(rng.integers(0, 2)))
    red = (values * 255).astype(np.uint8)
    blue = (255 - red).astype(np.uint8)
    green = (np.abs(values - 0.5) * 200).astype(np.uint8)
    small = Image.fromarray(np.stack([red, green, blue], axis=-1), "RGB")
    return small.resize((width, height), Image.Resampling.NEAREST)


def _gel(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    pixels = np.full((height, width), 215.0, dtype=np.float32)
    lanes = int(rng.integers(4, 12))
    lane_width = width / lanes
    ys = np.arange(height, dtype=np.float32)[:, None]
    for lane in range(lanes):
        x0, x1 = int(lane * lane_width + lane_width * 0.15), int((lane + 1) * lane_width - lane_width * 0.15)
        for _ in range(int(rng.integers(1, 5))):
            centre, thick = float(rng.uniform(0.1, 0.9)) * height, max(1.0, height / 60)
            strength = float(rng.uniform(60, 180))
            band = strength * np.exp(-((ys - centre) ** 2) / (2 * thick**2))
            pixels[:, x0:x1] -= band
    grey = np.clip(pixels, 0, 255).astype(np.uint8)
    return Image.fromarray(grey, "L").convert("RGB")


def _table_grid(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    """A table shipped as an image: rules and rows of word-like dark marks."""
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    rows, cols = int(rng.integers(4, 12)), int(rng.integers(2, 6))
    row_height, col_width = height / (rows + 1), width / cols
    for row in range(rows + 1):
        y = (row + 0.5) * row_height
        if row in (0, 1, rows):
            draw.line([(0, y), (width, y)], fill=(0, 0, 0), width=max(1, height // 150))
        for col in range(cols):
            x0 = col * col_width + col_width * 0.1
            x1 = x0 + col_width * float(rng.uniform(0.3, 0.8))
            draw.rectangle([x0, y + row_height * 0.2, x1, y + row_height * 0.6], fill=(40, 40, 40))
    return image


_DRAWERS = {
    "table_grid": _table_grid,
    "line_plot": _line_plot,
    "bar_chart": _bar_chart,
    "scatter": _scatter,
    "microscopy": _microscopy,
    "gradient": _gradient,
    "line_drawing": _line_drawing,
    "heatmap": _heatmap,
    "gel": _gel,
}


# --- encodings and transforms -----------------------------------------------------------------------


def _transformed(spec: ImageSpec) -> Image.Image:
    assert spec.base is not None
    with Image.open(io.BytesIO(render(spec.base).data)) as opened:
        decoded = ImageOps.exif_transpose(opened).convert("RGB")
    if spec.transform == "resize_half":
        return decoded.resize((decoded.width // 2, decoded.height // 2), Image.Resampling.LANCZOS)
    if spec.transform == "pad":
        fraction = 0.05 + 0.10 * float(np.random.default_rng((*spec.key, 7)).random())
        return ImageOps.expand(decoded, border=max(2, int(decoded.width * fraction)), fill="white")
    return decoded


def _encode(picture: Image.Image, spec: ImageSpec) -> bytes:
    out = io.BytesIO()
    encoding = spec.encoding
    if spec.transform in ("resave_q60", "resave_q90"):
        picture.save(out, "JPEG", quality=60 if spec.transform == "resave_q60" else 90)
    elif spec.transform == "recompress":
        picture.save(out, "JPEG", quality=80, progressive=True, optimize=True, subsampling=0)
    elif encoding == "jpeg":
        return _jpeg_within(picture, spec.min_bytes, spec.max_bytes)
    elif encoding == "grey_jpeg":
        picture.convert("L").save(out, "JPEG", quality=DEFAULT_QUALITY)
    elif encoding == "cmyk_jpeg":
        picture.convert("CMYK").save(out, "JPEG", quality=DEFAULT_QUALITY)
    elif encoding == "exif_jpeg":
        # Stored rotated 90 degrees counter-clockwise; orientation 6 tells viewers to turn it upright.
        exif = Image.Exif()
        exif[EXIF_ORIENTATION_TAG] = 6
        picture.transpose(Image.Transpose.ROTATE_90).save(out, "JPEG", quality=DEFAULT_QUALITY, exif=exif)
    elif encoding == "png":
        picture.save(out, "PNG")
    elif encoding == "png16":
        grey = np.asarray(picture.convert("L"), dtype=np.uint16) * 257
        Image.fromarray(grey).save(out, "PNG")  # Pillow opens a 16-bit greyscale PNG as mode I;16
    elif encoding == "rgba_png":
        pixels = np.asarray(picture)
        alpha = np.where(pixels.min(axis=-1) > 235, 0, 255).astype(np.uint8)
        Image.fromarray(np.dstack([pixels, alpha]), "RGBA").save(out, "PNG")
    elif encoding == "palette_png":
        picture.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(out, "PNG")
    elif encoding == "tiff":
        picture.save(out, "TIFF", compression="tiff_adobe_deflate")
    elif encoding == "gif":
        picture.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(out, "GIF")
    else:
        raise ValueError(f"unknown encoding {encoding!r}")
    return out.getvalue()


def _jpeg_within(picture: Image.Image, min_bytes: int | None, max_bytes: int | None) -> bytes:
    """Quality 85, lowered until the file fits `max_bytes` or raised until it reaches `min_bytes`."""
    data = _jpeg(picture, DEFAULT_QUALITY)
    for quality in (78, 70, 62, 54, 46, 38):
        if max_bytes is None or len(data) <= max_bytes:
            break
        data = _jpeg(picture, quality)
    for quality in (92, 96):
        if min_bytes is None or len(data) >= min_bytes:
            break
        data = _jpeg(picture, quality)
    return data


def _jpeg(picture: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=quality)
    return out.getvalue()


def _gif_thumbnail(picture: Image.Image) -> bytes:
    thumb = picture.convert("RGB")
    side = min(THUMBNAIL_SIDE, max(16, max(thumb.size) // 2))
    thumb.thumbnail((side, side), Image.Resampling.BILINEAR)
    out = io.BytesIO()
    thumb.quantize(colors=64, method=Image.Quantize.FASTOCTREE).save(out, "GIF")
    return out.getvalue()
