"""The default embedder's hand-crafted image descriptor: pure numpy + Pillow, no model weights.

The image is decoded reduced (JPEG `draft`), normalised like extract does (EXIF, alpha on white, 16-bit),
near-white borders trimmed, and fitted into DESCRIPTOR_SIDE pixels. The vector then describes what tells
figure types apart: colour and saturation (plots and micrographs are coloured, line art is not),
intensity distribution and whiteness (dark radiographs and micrographs vs white-background line art),
edge density and orientation (axes and boxes are horizontal/vertical, ring bonds are diagonal, photos
go every way), block texture (flat fills vs grain), ink profiles (axis and table rules span whole rows)
and the aspect ratio. Features are on comparable scales, but the cluster step standardises them anyway.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from biomedica_spark.images.decode import DEFAULT_MAX_PIXELS, load_pixels, open_image
from biomedica_spark.images.normalise import border_box, normalise
from biomedica_spark.quarantine import QuarantineItem

DESCRIPTOR_SIDE = 128
DESCRIPTOR_VERSION = "1"  # bump whenever the vector's meaning changes: stored with every embedding
_WHITE = 235
_BLACK = 25
_EDGE = 24.0  # gradient magnitude (0-255 grey levels per pixel) that counts as an edge
_BLOCK = 8


def reduced_picture(data: bytes, side: int = DESCRIPTOR_SIDE) -> Image.Image | QuarantineItem:
    """The trimmed RGB picture fitted within `side` pixels, or a QuarantineItem for bad bytes."""
    opened = open_image(data, max_pixels=DEFAULT_MAX_PIXELS)
    if isinstance(opened, QuarantineItem):
        return opened
    if opened.header.format == "JPEG":
        opened.image.draft("RGB", (side * 2, side * 2))
    loaded = load_pixels(opened.image)
    if isinstance(loaded, QuarantineItem):
        return loaded
    picture = normalise(loaded).convert("RGB")
    trimmed = picture.crop(border_box(picture.convert("L")))
    trimmed.thumbnail((side, side), Image.Resampling.BILINEAR)
    return trimmed


def describe_picture(picture: Image.Image) -> np.ndarray:
    """The descriptor (float32, DESCRIPTOR_DIM values) of an RGB picture."""
    rgb = np.asarray(picture.convert("RGB"), dtype=np.float32)
    grey = rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    parts = [
        _colour(rgb),
        _intensity(grey),
        _edges(grey),
        _texture(grey),
        _profiles(grey),
        np.array([np.log(picture.width / picture.height)], dtype=np.float32),
    ]
    return np.concatenate(parts).astype(np.float32)


def _colour(rgb: np.ndarray) -> np.ndarray:
    top, bottom = rgb.max(axis=-1), rgb.min(axis=-1)
    saturation = (top - bottom) / np.maximum(top, 1.0)
    coloured = saturation > 0.25
    hue = _hue(rgb, top, bottom)
    hue_hist = np.bincount((hue * 6).astype(int).clip(0, 5)[coloured], minlength=6) / saturation.size
    quantised = (rgb.astype(np.int32) // 32).reshape(-1, 3) @ np.array([64, 8, 1])
    distinct = np.unique(quantised).size
    return np.concatenate(
        [
            rgb.reshape(-1, 3).mean(axis=0) / 255,
            rgb.reshape(-1, 3).std(axis=0) / 128,
            [saturation.mean(), saturation.std(), coloured.mean(), np.log1p(distinct) / np.log(512)],
            hue_hist,
        ]
    ).astype(np.float32)


def _hue(rgb: np.ndarray, top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    span = np.maximum(top - bottom, 1e-6)
    hue = np.where(top == r, (g - b) / span, np.where(top == g, 2 + (b - r) / span, 4 + (r - g) / span))
    return np.asarray((hue / 6) % 1.0)


def _intensity(grey: np.ndarray) -> np.ndarray:
    hist = np.histogram(grey, bins=8, range=(0, 256))[0] / grey.size
    return np.concatenate(
        [
            hist,
            [(grey > _WHITE).mean(), (grey < _BLACK).mean(), grey.mean() / 255, grey.std() / 128],
        ]
    ).astype(np.float32)


def _edges(grey: np.ndarray) -> np.ndarray:
    gx = np.zeros_like(grey)
    gy = np.zeros_like(grey)
    gx[:, 1:-1] = (grey[:, 2:] - grey[:, :-2]) / 2
    gy[1:-1, :] = (grey[2:, :] - grey[:-2, :]) / 2
    magnitude = np.hypot(gx, gy)
    strong = magnitude > _EDGE
    # Orientation modulo 180 degrees in 8 bins: 0 and 90 are axes and boxes, 30/60/120/150 ring bonds.
    angle = (np.arctan2(gy, gx) % np.pi)[strong]
    orientation = np.bincount((angle / np.pi * 8).astype(int).clip(0, 7), minlength=8) / max(1, angle.size)
    return np.concatenate(
        [orientation, [strong.mean() * 4, magnitude.mean() / 32, np.log1p(magnitude.std()) / 5]]
    ).astype(np.float32)


def _texture(grey: np.ndarray) -> np.ndarray:
    rows, cols = grey.shape[0] // _BLOCK, grey.shape[1] // _BLOCK
    if rows == 0 or cols == 0:
        return np.zeros(7, dtype=np.float32)
    blocks = grey[: rows * _BLOCK, : cols * _BLOCK].reshape(rows, _BLOCK, cols, _BLOCK)
    spread = blocks.std(axis=(1, 3)).ravel()
    hist = np.histogram(spread, bins=(0, 1, 4, 10, 20, 40, 256))[0] / spread.size
    # Fine grain (noise, tissue, film) vs flat fills: the high-pass residual within blocks.
    residual = np.abs(grey[1:, 1:] - grey[:-1, :-1]).mean() / 32
    return np.concatenate([hist, [residual]]).astype(np.float32)


def _profiles(grey: np.ndarray) -> np.ndarray:
    ink = grey < 160
    row_ink, col_ink = ink.mean(axis=1), ink.mean(axis=0)
    return np.array(
        [
            (row_ink < 0.02).mean(),
            (col_ink < 0.02).mean(),
            row_ink.max(),  # an axis or a table rule: one row almost all ink
            col_ink.max(),
            ink.mean(),
        ],
        dtype=np.float32,
    )


DESCRIPTOR_DIM = int(describe_picture(Image.new("RGB", (16, 16), "white")).size)
