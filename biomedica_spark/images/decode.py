"""Safe opening of untrusted image bytes: every bad input becomes a `QuarantineItem`, never an exception.

Opening is split in two so callers can shrink the decode in between (JPEG `draft`):
`open_image` reads only the header and applies every check that needs no pixels (non-raster sniffing,
format whitelist, pixel-count guard, PNG chunk CRCs); `load_pixels` then decodes the first frame.
Animated GIF/PNG and multi-page TIFF: only the first frame/page is decoded and described; the rest of
the file is not looked at (a figure is one picture; later frames are rarely what a caption describes).
"""

from __future__ import annotations

import io
import warnings
import zlib
from dataclasses import dataclass

from PIL import Image, ImageFile

from biomedica_spark.quarantine import QuarantineItem, Reason, Stage

# Pillow's own error threshold (2 × Image.MAX_IMAGE_PIXELS). Pillow also raises above 2 × its global
# MAX_IMAGE_PIXELS while opening, so a larger max_pixels has no effect unless that global is raised.
DEFAULT_MAX_PIXELS = 178_956_970

# Formats we decode (Pillow's JPEG opener also returns MPO files). EPS is left out on purpose: Pillow
# renders it by running Ghostscript.
RASTER_FORMATS = ("JPEG", "PNG", "GIF", "TIFF", "BMP", "WEBP")

_NON_RASTER_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"%PDF", "PDF document"),
    (0, b"%!PS", "PostScript/EPS"),
    (0, b"\xc5\xd0\xd3\xc6", "EPS with DOS binary header"),
    (0, b"\xd7\xcd\xc6\x9a", "Windows metafile (WMF)"),
    (40, b" EMF", "Enhanced metafile (EMF)"),
    (0, b"\x1f\x8b", "gzip data (SVGZ?)"),
    (0, b"\x00\x00\x00\x0cjP  ", "JPEG 2000 (unsupported raster format)"),
    (0, b"\xff\x4f\xff\x51", "JPEG 2000 codestream (unsupported raster format)"),
    (0, b"8BPS", "Photoshop PSD (unsupported raster format)"),
    (4, b"ftypheic", "HEIC (unsupported raster format)"),
    (4, b"ftypavif", "AVIF (unsupported raster format)"),
)

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_EXIF_ORIENTATION_TAG = 0x0112
_TIFF_BITS_PER_SAMPLE_TAG = 258


@dataclass(frozen=True)
class ImageHeader:
    """What the file says about itself, read before any pixel is decoded."""

    format: str  # Pillow format name; MPO (a JPEG with extra pictures appended) is reported as JPEG
    width: int  # as stored, before EXIF rotation
    height: int
    mode: str
    bit_depth: int  # bits per sample as stored: PNG IHDR, TIFF BitsPerSample, JPEG SOF precision
    exif_orientation: int | None  # 1..8 when present and valid


@dataclass(frozen=True)
class OpenedImage:
    image: Image.Image  # lazy: pixels not decoded yet
    header: ImageHeader


def _quarantine(reason: Reason, detail: str) -> QuarantineItem:
    return QuarantineItem(stage=Stage.IMAGE, reason=reason, detail=detail)


def open_image(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> OpenedImage | QuarantineItem:
    """Parse the header of `data` and refuse what must never be decoded; no pixel is allocated here."""
    if not data:
        return _quarantine(Reason.EMPTY_FILE, "0-byte image")
    non_raster = _sniff_non_raster(data)
    if non_raster is not None:
        return _quarantine(Reason.IMAGE_UNSUPPORTED, non_raster)
    if data.startswith(_PNG_SIGNATURE):
        png_problem = _png_chunk_problem(data)
        if png_problem is not None:
            return _quarantine(Reason.IMAGE_CORRUPT, png_problem)
    try:
        with warnings.catch_warnings():
            # Our own max_pixels check below decides; Pillow's warning band would only add noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=RASTER_FORMATS)
    except Image.DecompressionBombError as error:
        return _quarantine(Reason.IMAGE_TOO_LARGE, str(error))
    except Image.UnidentifiedImageError:
        return _quarantine(Reason.IMAGE_CORRUPT, f"unidentified image data ({data[:8]!r}...)")
    except Exception as error:  # any parser failure on hostile bytes is a bad file, not a crash
        return _quarantine(Reason.IMAGE_CORRUPT, f"header: {type(error).__name__}: {error}")
    width, height = image.size
    if width <= 0 or height <= 0:
        return _quarantine(Reason.IMAGE_CORRUPT, f"header claims {width}x{height} pixels")
    if width * height > max_pixels:
        return _quarantine(
            Reason.IMAGE_TOO_LARGE, f"{width}x{height} = {width * height} pixels > max_pixels {max_pixels}"
        )
    header = ImageHeader(
        format="JPEG" if image.format == "MPO" else str(image.format),
        width=width,
        height=height,
        mode=image.mode,
        bit_depth=_bit_depth(image, data),
        exif_orientation=exif_orientation(image),
    )
    return OpenedImage(image=image, header=header)


def load_pixels(image: Image.Image) -> Image.Image | QuarantineItem:
    """Decode the first frame of an opened image; truncated or corrupt data is quarantined."""
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        # A process-wide switch someone else flipped would make truncated files pass as grey-filled images.
        raise RuntimeError(
            "PIL.ImageFile.LOAD_TRUNCATED_IMAGES is True: truncated images would pass silently"
        )
    try:
        image.load()
    except Exception as error:  # decoder errors come as OSError, SyntaxError, ValueError, zlib/struct errors
        return _quarantine(Reason.IMAGE_CORRUPT, f"decode: {type(error).__name__}: {error}")
    return image


def decode_image(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image | QuarantineItem:
    """Open and fully decode the first frame at full size."""
    opened = open_image(data, max_pixels=max_pixels)
    if isinstance(opened, QuarantineItem):
        return opened
    return load_pixels(opened.image)


def exif_orientation(image: Image.Image) -> int | None:
    try:
        value = image.getexif().get(_EXIF_ORIENTATION_TAG)
    except Exception:  # a broken EXIF block must not cost us an otherwise good image
        return None
    return value if isinstance(value, int) and 1 <= value <= 8 else None


def _sniff_non_raster(data: bytes) -> str | None:
    for offset, signature, name in _NON_RASTER_SIGNATURES:
        if data[offset : offset + len(signature)] == signature:
            return name
    text_start = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if text_start.startswith(b"<"):
        return "SVG document" if b"<svg" in text_start.lower() else "XML/HTML document"
    return None


def _png_chunk_problem(data: bytes) -> str | None:
    """Check every chunk's CRC up to IEND: Pillow skips the IDAT CRCs, so flipped bytes can pass."""
    view = memoryview(data)
    position = len(_PNG_SIGNATURE)
    while position + 12 <= len(data):
        length = int.from_bytes(view[position : position + 4], "big")
        chunk_type = bytes(view[position + 4 : position + 8])
        data_end = position + 8 + length
        if data_end + 4 > len(data):
            return f"truncated PNG: chunk {chunk_type!r} runs past the end of the file"
        stored_crc = int.from_bytes(view[data_end : data_end + 4], "big")
        if zlib.crc32(view[position + 4 : data_end]) != stored_crc:
            return f"PNG chunk {chunk_type!r} at byte {position} has a bad CRC"
        if chunk_type == b"IEND":
            return None
        position = data_end + 4
    return "truncated PNG: no IEND chunk"


def _bit_depth(image: Image.Image, data: bytes) -> int:
    if image.format == "PNG":
        return data[24]  # IHDR bit depth; the signature and IHDR were validated by Pillow
    if image.format == "TIFF":
        bits = image.tag_v2.get(_TIFF_BITS_PER_SAMPLE_TAG)  # type: ignore[attr-defined]
        if isinstance(bits, tuple) and bits:
            return int(max(bits))
        if isinstance(bits, int):
            return bits
    if image.format in ("JPEG", "MPO"):
        return int(getattr(image, "bits", 8))
    if image.mode == "1":
        return 1
    if image.mode.startswith("I;16"):
        return 16
    if image.mode in ("I", "F"):
        return 32
    return 8
