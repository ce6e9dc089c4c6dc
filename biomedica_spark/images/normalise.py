"""Turn any decoded image into the 8-bit RGB or greyscale picture a viewer would show.

The same normalisation feeds the hashes and the export: `normalised_image_bytes` gives the bytes the
WebDataset export writes (the original bytes when they already are plain, otherwise a re-encoding of the
normalised image). Border trimming is only for hashing and sizing; exported images are never cropped.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageOps

from biomedica_spark.images.decode import (
    DEFAULT_MAX_PIXELS,
    ImageHeader,
    exif_orientation,
    load_pixels,
    open_image,
)
from biomedica_spark.quarantine import QuarantineItem

# Pixels whose every channel is at least this bright count as near-white border.
DEFAULT_WHITE_THRESHOLD = 240
# Max per-channel difference from the corner colour for a pixel to count as uniform single-colour border.
DEFAULT_BORDER_TOLERANCE = 10
EXPORT_JPEG_QUALITY = 95

_HIGH_BIT_DEPTH_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I", "F")
_UINT16_MAX = 65535

Box = tuple[int, int, int, int]


def normalise(image: Image.Image) -> Image.Image:
    """Return an 8-bit RGB or L image: EXIF orientation applied, transparency composited on white,
    16-bit and float samples rescaled over the full range of their type, CMYK/P/1/YCbCr/LAB converted.

    Handles every Pillow mode (tested), so it cannot fail on a decoded image.
    Colour management is not applied: CMYK goes through Pillow's plain conversion and ICC profiles are
    ignored, which perceptual hashes tolerate.
    """
    if exif_orientation(image) not in (None, 1):
        image = ImageOps.exif_transpose(image)
    if image.mode in _HIGH_BIT_DEPTH_MODES:
        return _rescale_to_8_bit(image)
    if image.has_transparency_data:
        return _composite_on_white(image)
    if image.mode in ("RGB", "L"):
        return image
    if image.mode == "1":
        return image.convert("L")
    return image.convert("RGB")


def border_box(
    image: Image.Image,
    *,
    white_threshold: int = DEFAULT_WHITE_THRESHOLD,
    tolerance: int = DEFAULT_BORDER_TOLERANCE,
) -> Box:
    """Bounding box (left, upper, right, lower) of the content inside uniform margins.

    A margin pixel is near-white (every channel >= white_threshold) or, when the four corners and most
    of the edge pixels agree within `tolerance`, within `tolerance` of the corner colour (a uniform black
    or coloured frame). Trimming repeats on the cropped box, because white padding around a
    grey-framed image (a gel, a micrograph) hides the frame's colour from the outer corners.
    Where a pass trims margin, an edge line that blends the margin into the content goes too (see
    `_without_blend_edges`): resampling a padded picture, as the analysis does before hashing, leaves one
    wherever the padding edge falls between two pixels, and it would hide the frame from the next pass.
    An image that is all margin keeps its full box: blankness is judged by `hashing.is_near_blank`.
    """
    pixels: np.ndarray = np.asarray(image)
    if pixels.ndim == 2:
        pixels = pixels[:, :, np.newaxis]
    height, width = pixels.shape[:2]
    box = (0, 0, width, height)
    for _ in range(_MAX_TRIM_PASSES):
        left, upper, right, lower = box
        region = pixels[upper:lower, left:right]
        inner = _content_box(region, white_threshold, tolerance)
        if inner is None:
            break
        inner = _without_blend_edges(region, inner, tolerance)
        trimmed = (left + inner[0], upper + inner[1], left + inner[2], upper + inner[3])
        if trimmed == box:
            break
        box = trimmed
    return box


_MAX_TRIM_PASSES = 3
_MIN_FRAME_EDGE_SHARE = 0.5


def _content_box(pixels: np.ndarray, white_threshold: int, tolerance: int) -> Box | None:
    """One trimming pass; None when everything is margin."""
    margin = pixels.min(axis=2) >= white_threshold
    corners = pixels[[0, 0, -1, -1], [0, -1, 0, -1]].astype(np.int16)
    if (np.abs(corners - corners[0]) <= tolerance).all():
        frame = (np.abs(pixels.astype(np.int16) - corners[0]) <= tolerance).all(axis=2)
        # A frame runs along the edges; four corners that agree by chance (light anti-aliased ink at the
        # extremes of a sparse plot) would otherwise turn every pixel of their shade into margin.
        edges = np.concatenate([frame[0], frame[-1], frame[:, 0], frame[:, -1]])
        if edges.mean() > _MIN_FRAME_EDGE_SHARE:
            margin |= frame
    content_rows = np.flatnonzero(~margin.all(axis=1))
    content_columns = np.flatnonzero(~margin.all(axis=0))
    if content_rows.size == 0 or content_columns.size == 0:
        return None
    return (
        int(content_columns[0]),
        int(content_rows[0]),
        int(content_columns[-1]) + 1,
        int(content_rows[-1]) + 1,
    )


def _without_blend_edges(pixels: np.ndarray, box: Box, tolerance: int) -> Box:
    """Shrink `box` by one line on each side where margin was just trimmed and its edge line is a blend.

    A blend line lies, pixel by pixel, between the margin line outside it and the content line inside it
    (within `tolerance`), and differs from both in most pixels: the half-covered row or column that
    resampling leaves where padding meets content. An edge line of real content fails the test: a sparse
    plot's edge line is mostly margin-coloured, a solid axis line matches the line inside it or lies
    outside the margin..content range (dark ink beside white).
    """
    left, upper, right, lower = box
    height, width = pixels.shape[:2]
    if right - left < 3 or lower - upper < 3:
        return box
    across, down = slice(left, right), slice(upper, lower)  # a row's and a column's extent in the box
    if upper > 0 and _is_blend(
        pixels[upper - 1, across], pixels[upper, across], pixels[upper + 1, across], tolerance
    ):
        upper += 1
    if lower < height and _is_blend(
        pixels[lower, across], pixels[lower - 1, across], pixels[lower - 2, across], tolerance
    ):
        lower -= 1
    if left > 0 and _is_blend(pixels[down, left - 1], pixels[down, left], pixels[down, left + 1], tolerance):
        left += 1
    if right < width and _is_blend(
        pixels[down, right], pixels[down, right - 1], pixels[down, right - 2], tolerance
    ):
        right -= 1
    return (left, upper, right, lower)


def _is_blend(outside: np.ndarray, line: np.ndarray, inside: np.ndarray, tolerance: int) -> bool:
    outside, line, inside = (a.astype(np.int16) for a in (outside, line, inside))
    low, high = np.minimum(outside, inside) - tolerance, np.maximum(outside, inside) + tolerance
    if not ((line >= low) & (line <= high)).all():
        return False
    from_outside = np.abs(line - outside).max(axis=-1)
    from_inside = np.abs(line - inside).max(axis=-1)
    return bool(np.median(from_outside) > tolerance and np.median(from_inside) > tolerance)


def trim_near_white_border(image: Image.Image, threshold: int = DEFAULT_WHITE_THRESHOLD) -> Image.Image:
    """Crop uniform near-white (or uniform single-colour) margins; see `border_box`."""
    return image.crop(border_box(image, white_threshold=threshold))


def normalised_image_bytes(
    data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS
) -> tuple[bytes, str] | QuarantineItem:
    """The bytes the export writes and their file extension ("jpg" or "png").

    Plain images come back untouched: 8-bit RGB/greyscale JPEG without EXIF rotation, and 8-bit
    RGB/greyscale PNG without transparency. Everything else is decoded at full size, normalised and
    re-encoded: JPEG sources (CMYK, rotated, 12-bit) as JPEG quality 95 with 4:4:4 chroma, because
    re-encoding a photo as PNG multiplies its size; every other source (16-bit, alpha, palette, GIF, TIFF,
    BMP, WEBP) as lossless PNG. ICC profiles are kept unless the colour space changed (CMYK, LAB...).
    """
    opened = open_image(data, max_pixels=max_pixels)
    if isinstance(opened, QuarantineItem):
        return opened
    header = opened.header
    if _is_plain(header, opened.image):
        return data, "jpg" if header.format == "JPEG" else "png"
    loaded = load_pixels(opened.image)
    if isinstance(loaded, QuarantineItem):
        return loaded
    normalised = normalise(loaded)
    icc_profile = loaded.info.get("icc_profile") if loaded.mode not in ("CMYK", "YCbCr", "LAB") else None
    out = io.BytesIO()
    if header.format == "JPEG":
        normalised.save(out, "JPEG", quality=EXPORT_JPEG_QUALITY, subsampling=0, icc_profile=icc_profile)
        return out.getvalue(), "jpg"
    normalised.save(out, "PNG", icc_profile=icc_profile)
    return out.getvalue(), "png"


def _is_plain(header: ImageHeader, image: Image.Image) -> bool:
    if header.mode not in ("RGB", "L") or header.bit_depth != 8:
        return False
    if header.format == "JPEG":
        return header.exif_orientation in (None, 1)
    return header.format == "PNG" and not image.has_transparency_data


def _rescale_to_8_bit(image: Image.Image) -> Image.Image:
    """Map samples to 0..255 over the full range of their type (Pillow's own conversion clips at 255).

    "I" holds 16-bit samples when its values fit 0..65535 (Pillow opens some 16-bit files as "I"),
    otherwise its own min..max is used; "F" is taken as 0..1 when its values fit, otherwise min..max.
    Transparency of 16-bit images is ignored.
    """
    samples = np.asarray(image).astype(np.float64)
    low, high = float(samples.min()), float(samples.max())
    if image.mode.startswith("I;16") or (image.mode == "I" and low >= 0 and high <= _UINT16_MAX):
        low, high = 0.0, float(_UINT16_MAX)
    elif image.mode == "F" and low >= 0.0 and high <= 1.0:
        low, high = 0.0, 1.0
    span = high - low if high > low else 1.0
    scaled = np.rint((samples - low) * (255.0 / span))
    return Image.fromarray(np.clip(scaled, 0, 255).astype(np.uint8))


def _composite_on_white(image: Image.Image) -> Image.Image:
    with_alpha = image.convert("LA" if image.mode in ("L", "LA", "La", "1") else "RGBA")
    colour_mode = "L" if with_alpha.mode == "LA" else "RGB"
    background = Image.new(colour_mode, with_alpha.size, "white")
    background.paste(with_alpha.convert(colour_mode), mask=with_alpha.getchannel("A"))
    return background
