"""Safe decode: header facts, first frame only, and a quarantine reason for every kind of bad input."""

from __future__ import annotations

import io
import struct
import time
import zlib

import numpy as np
import pytest
from PIL import Image, ImageFile

from biomedica_spark.images.analyse import analyse_image
from biomedica_spark.images.decode import (
    DEFAULT_MAX_PIXELS,
    OpenedImage,
    decode_image,
    load_pixels,
    open_image,
)
from biomedica_spark.images.model import ImageInfo
from biomedica_spark.quarantine import QuarantineItem, Reason, Stage


def _encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def _noise_rgb(seed: int = 0, size: tuple[int, int] = (64, 48)) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))


def _png_chunk(chunk_type: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + chunk_type + body + struct.pack(">I", zlib.crc32(chunk_type + body))


def _png_claiming(width: int, height: int) -> bytes:
    """A valid-looking greyscale PNG header with a few bytes of IDAT: a decompression bomb's shape."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _png_chunk(b"IEND", b"")
    )


def _quarantine_reason(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> Reason:
    result = analyse_image(data, max_pixels=max_pixels)
    assert isinstance(result, QuarantineItem), result
    assert result.stage is Stage.IMAGE
    return result.reason


def test_header_reports_stored_facts_without_decoding() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6
    opened = open_image(_encode(_noise_rgb(), "JPEG", exif=exif.tobytes()))
    assert isinstance(opened, OpenedImage)
    header = opened.header
    assert (header.format, header.width, header.height, header.mode) == ("JPEG", 64, 48, "RGB")
    assert (header.bit_depth, header.exif_orientation) == (8, 6)


def test_mpo_is_reported_as_the_jpeg_it_starts_with() -> None:
    first = _noise_rgb(1)
    mpo = _encode(first, "MPO", save_all=True, append_images=[_noise_rgb(2)])
    opened = open_image(mpo)
    assert isinstance(opened, OpenedImage)
    assert opened.image.format == "MPO" and opened.header.format == "JPEG"
    as_mpo, as_jpeg = analyse_image(mpo), analyse_image(_encode(first, "JPEG"))
    assert isinstance(as_mpo, ImageInfo) and isinstance(as_jpeg, ImageInfo)
    assert (as_mpo.phash64, as_mpo.phash256) == (as_jpeg.phash64, as_jpeg.phash256)


def test_16_bit_png_header() -> None:
    opened = open_image(_encode(Image.fromarray(np.zeros((4, 4), dtype=np.uint16)), "PNG"))
    assert isinstance(opened, OpenedImage)
    assert (opened.header.mode, opened.header.bit_depth, opened.header.exif_orientation) == ("I;16", 16, None)


def test_bomb_header_is_refused_quickly_before_any_allocation() -> None:
    started = time.perf_counter()
    assert _quarantine_reason(_png_claiming(100_000, 100_000)) is Reason.IMAGE_TOO_LARGE
    assert time.perf_counter() - started < 0.5


def test_max_pixels_parameter_is_checked_from_the_header() -> None:
    bomb = _png_claiming(4000, 4000)
    assert _quarantine_reason(bomb, max_pixels=1_000_000) is Reason.IMAGE_TOO_LARGE
    # Within the limit the same file is decoded, and its missing pixel data is caught.
    assert _quarantine_reason(bomb) is Reason.IMAGE_CORRUPT


def test_jpeg_header_claiming_huge_dimensions_is_refused() -> None:
    jpeg = _encode(_noise_rgb(), "JPEG")
    start_of_frame = jpeg.index(b"\xff\xc0")
    size_field = start_of_frame + 5  # marker, length (2), precision (1), then height and width
    huge = jpeg[:size_field] + struct.pack(">HH", 65000, 65000) + jpeg[size_field + 4 :]
    assert _quarantine_reason(huge) is Reason.IMAGE_TOO_LARGE


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.95])
def test_truncated_jpeg_is_corrupt(keep: float) -> None:
    jpeg = _encode(_noise_rgb(size=(200, 150)), "JPEG")
    assert _quarantine_reason(jpeg[: int(len(jpeg) * keep)]) is Reason.IMAGE_CORRUPT


def test_png_with_bad_idat_crc_is_corrupt() -> None:
    png = _encode(_noise_rgb(), "PNG")
    idat = png.index(b"IDAT")
    (length,) = struct.unpack(">I", png[idat - 4 : idat])
    crc_at = idat + 4 + length
    damaged = png[:crc_at] + bytes([png[crc_at] ^ 0x01]) + png[crc_at + 1 :]
    assert _quarantine_reason(damaged) is Reason.IMAGE_CORRUPT


def test_png_with_flipped_pixel_byte_is_corrupt() -> None:
    png = _encode(_noise_rgb(), "PNG")
    at = png.index(b"IDAT") + 50
    assert _quarantine_reason(png[:at] + bytes([png[at] ^ 0xFF]) + png[at + 1 :]) is Reason.IMAGE_CORRUPT


@pytest.mark.parametrize("cut", [0.5, -12])
def test_truncated_png_is_corrupt(cut: float) -> None:
    png = _encode(_noise_rgb(), "PNG")
    end = int(len(png) * cut) if cut > 0 else int(cut)  # half the file, or only IEND missing
    assert _quarantine_reason(png[:end]) is Reason.IMAGE_CORRUPT


def test_truncated_gif_and_tiff_are_corrupt() -> None:
    for fmt in ("GIF", "TIFF"):
        data = _encode(_noise_rgb(size=(120, 90)), fmt)
        assert _quarantine_reason(data[: len(data) // 2]) is Reason.IMAGE_CORRUPT


@pytest.mark.parametrize(
    "data",
    [
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
        b"\xef\xbb\xbf  <svg><rect/></svg>",
        b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n",
        b"\xc5\xd0\xd3\xc6" + b"\x00" * 40,
        b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n",
    ],
    ids=["svg", "svg-bom", "eps", "eps-dos", "pdf"],
)
def test_non_raster_files_named_jpg_are_unsupported(data: bytes) -> None:
    assert _quarantine_reason(data) is Reason.IMAGE_UNSUPPORTED


def test_empty_bytes() -> None:
    assert _quarantine_reason(b"") is Reason.EMPTY_FILE


def test_random_bytes_are_corrupt() -> None:
    assert _quarantine_reason(np.random.default_rng(3).bytes(2000)) is Reason.IMAGE_CORRUPT


def test_damaged_files_never_raise() -> None:
    rng = np.random.default_rng(4)
    sources = [
        _encode(_noise_rgb(seed), fmt) for seed, fmt in enumerate(("JPEG", "PNG", "GIF", "TIFF", "BMP"))
    ]
    for _ in range(150):
        data = bytearray(sources[int(rng.integers(len(sources)))])
        for position in rng.integers(0, len(data), size=int(rng.integers(1, 6))):
            data[position] = int(rng.integers(256))
        assert isinstance(analyse_image(bytes(data)), ImageInfo | QuarantineItem)


def test_animated_gif_uses_the_first_frame() -> None:
    frames = [Image.new("RGB", (40, 30), colour).convert("P") for colour in ("red", "blue", "green")]
    gif = _encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    decoded = decode_image(gif)
    assert isinstance(decoded, Image.Image)
    assert getattr(decoded, "n_frames", 1) == 3
    assert decoded.convert("RGB").getpixel((5, 5)) == (255, 0, 0)


def test_multi_page_tiff_uses_the_first_page() -> None:
    first, second = _noise_rgb(1), Image.new("RGB", (64, 48), "white")
    tiff = _encode(first, "TIFF", save_all=True, append_images=[second])
    decoded = decode_image(tiff)
    assert isinstance(decoded, Image.Image)
    assert getattr(decoded, "n_frames", 1) == 2
    assert np.array_equal(np.asarray(decoded), np.asarray(first))
    first_only, both = analyse_image(_encode(first, "TIFF")), analyse_image(tiff)
    assert isinstance(first_only, ImageInfo) and isinstance(both, ImageInfo)
    assert (first_only.phash64, first_only.phash256) == (both.phash64, both.phash256)


def test_truncated_images_are_never_loaded_silently(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    opened = open_image(_encode(_noise_rgb(), "PNG"))
    assert isinstance(opened, OpenedImage)
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(RuntimeError, match="LOAD_TRUNCATED_IMAGES"):
        load_pixels(opened.image)
