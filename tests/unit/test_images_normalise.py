"""normalise(): EXIF, alpha on white, 16-bit rescale, mode conversions; border trim; export bytes."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageOps

from biomedica_spark.images.normalise import (
    border_box,
    normalise,
    normalised_image_bytes,
    trim_near_white_border,
)
from biomedica_spark.quarantine import QuarantineItem, Reason

ORIENTATION_TAG = 0x0112


def _encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def _figure(size: tuple[int, int] = (120, 80)) -> Image.Image:
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, 50, 60), fill=(200, 0, 0))
    draw.line((0, size[1] - 1, size[0] - 1, 0), fill=(0, 0, 0), width=2)  # content touches every edge
    return image


def _pad(image: Image.Image, fraction: float, colour: int | tuple[int, ...] = (250, 250, 250)) -> Image.Image:
    border = round(max(image.size) * fraction)
    padded = Image.new(image.mode, (image.width + 2 * border, image.height + 2 * border), colour)
    padded.paste(image, (border, border))
    return padded


def test_rgba_transparent_pixels_become_white() -> None:
    rgba = Image.new("RGBA", (4, 1), (0, 0, 0, 0))
    rgba.putpixel((1, 0), (255, 0, 0, 255))
    rgba.putpixel((2, 0), (0, 0, 0, 128))
    result = normalise(rgba)
    assert result.mode == "RGB"
    assert result.getpixel((0, 0)) == (255, 255, 255)
    assert result.getpixel((1, 0)) == (255, 0, 0)
    assert result.getpixel((2, 0)) == (127, 127, 127)


def test_la_is_composited_on_white_and_stays_grey() -> None:
    la = Image.merge("LA", (Image.new("L", (2, 1), 0), Image.frombytes("L", (2, 1), bytes([0, 255]))))
    result = normalise(la)
    assert result.mode == "L"
    assert np.asarray(result).tolist() == [[255, 0]]


def test_palette_with_transparent_index_becomes_white() -> None:
    palette_image = Image.new("P", (2, 1), 0)
    palette_image.putpalette([0, 0, 0, 0, 0, 255] + [0] * 762)
    palette_image.putpixel((1, 0), 1)
    palette_image.info["transparency"] = 0
    decoded = Image.open(io.BytesIO(_encode(palette_image, "PNG")))
    result = normalise(decoded)
    assert result.mode == "RGB"
    assert np.asarray(result).tolist() == [[[255, 255, 255], [0, 0, 255]]]


def test_palette_without_transparency_becomes_rgb() -> None:
    palette_image = _figure().convert("P")
    assert normalise(palette_image).mode == "RGB"


def test_cmyk_is_converted_to_rgb() -> None:
    cmyk = Image.new("CMYK", (3, 3), (0, 255, 255, 0))
    for fmt in ("JPEG", "TIFF"):
        result = normalise(Image.open(io.BytesIO(_encode(cmyk, fmt))))
        assert result.mode == "RGB"
        red, green, blue = result.getpixel((1, 1))  # type: ignore[misc]
        assert red > 240 and green < 15 and blue < 15


def test_one_bit_becomes_l() -> None:
    bilevel = Image.new("1", (2, 1), 0)
    bilevel.putpixel((1, 0), 1)
    result = normalise(bilevel)
    assert result.mode == "L"
    assert np.asarray(result).tolist() == [[0, 255]]


ALL_PILLOW_MODES = [
    "1",
    "L",
    "LA",
    "La",
    "P",
    "PA",
    "RGB",
    "RGBA",
    "RGBa",
    "RGBX",
    "CMYK",
    "YCbCr",
    "LAB",
    "HSV",
]
ALL_PILLOW_MODES += ["I", "I;16", "I;16L", "I;16B", "I;16N", "F"]


@pytest.mark.parametrize("mode", ALL_PILLOW_MODES)
def test_every_pillow_mode_ends_as_8_bit_rgb_or_l(mode: str) -> None:
    assert normalise(Image.new(mode, (4, 4))).mode in ("RGB", "L")


def test_16_bit_ramp_is_rescaled_over_the_full_range_not_clipped() -> None:
    ramp = np.arange(65536, dtype=np.uint16).reshape(256, 256)
    decoded = Image.open(io.BytesIO(_encode(Image.fromarray(ramp), "PNG")))
    assert decoded.mode == "I;16"
    pixels = np.asarray(normalise(decoded))
    histogram = np.bincount(pixels.ravel(), minlength=256)
    assert pixels.dtype == np.uint8
    assert pixels.min() == 0 and pixels.max() == 255
    assert (histogram > 0).all()  # every grey level is used ...
    assert histogram.max() <= 2 * 65536 / 256  # ... evenly: nothing piles up at 255


def test_16_bit_big_endian_and_32_bit_modes() -> None:
    values = np.array([[0, 32768, 65535]], dtype=np.uint16)
    big_endian = Image.frombytes("I;16B", (3, 1), values.astype(">u2").tobytes())
    as_int32 = Image.fromarray(values.astype(np.int32))
    as_float = Image.fromarray(np.array([[0.0, 0.5, 1.0]], dtype=np.float32))
    for image in (big_endian, as_int32, as_float):
        assert np.asarray(normalise(image)).tolist() == [[0, 128, 255]]


def test_float_outside_unit_range_uses_its_own_min_max() -> None:
    image = Image.fromarray(np.array([[-10.0, 0.0, 30.0]], dtype=np.float32))
    assert np.asarray(normalise(image)).tolist() == [[0, 64, 255]]


def test_exif_orientation_is_applied() -> None:
    stored = _figure()
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = 6
    decoded = Image.open(io.BytesIO(_encode(stored, "PNG", exif=exif.tobytes())))
    result = normalise(decoded)
    assert result.size == (stored.height, stored.width)
    assert np.array_equal(np.asarray(result), np.asarray(stored.transpose(Image.Transpose.ROTATE_270)))


def test_plain_rgb_is_returned_unchanged() -> None:
    image = _figure()
    assert normalise(image) is image


@pytest.mark.parametrize("fraction", [0.05, 0.15])
def test_trim_removes_near_white_padding(fraction: float) -> None:
    figure = _figure()
    trimmed = trim_near_white_border(_pad(figure, fraction))
    assert trimmed.size == figure.size
    assert np.array_equal(np.asarray(trimmed), np.asarray(figure))


def test_trim_removes_a_uniform_coloured_frame() -> None:
    figure = _figure()
    framed = _pad(figure, 0.1, (0, 0, 90))
    assert trim_near_white_border(framed).size == figure.size


def test_trim_keeps_content_touching_the_edges() -> None:
    rng = np.random.default_rng(1)
    photo = Image.fromarray(rng.integers(0, 200, (30, 40, 3), dtype=np.uint8))
    assert border_box(photo) == (0, 0, 40, 30)


def _gel(size: tuple[int, int] = (160, 120)) -> Image.Image:
    """A grey-background picture (a gel): dark bands inside a uniform grey frame, with sensor noise."""
    rng = np.random.default_rng(3)
    pixels = 215 + rng.integers(-4, 5, (size[1], size[0]))
    for x0 in range(20, size[0] - 30, 30):
        pixels[40:48, x0 : x0 + 20] -= 120
    return Image.fromarray(pixels.astype(np.uint8), "L")


def _reduced_box_size(image: Image.Image) -> tuple[int, int]:
    """JPEG round trip, halved as the analysis does for hashing, then trimmed."""
    reduced = Image.open(io.BytesIO(_encode(image, "JPEG", quality=90))).reduce(2)
    left, upper, right, lower = border_box(reduced)
    return right - left, lower - upper


@pytest.mark.parametrize("border", [15, 16, 37])
def test_white_padding_around_a_grey_frame_trims_to_the_same_content(border: int) -> None:
    # Halving an odd padding leaves a row and a column that mix white and grey: neither margin colour.
    gel = _gel()
    padded = ImageOps.expand(gel, border=border, fill=255)
    width, height = _reduced_box_size(gel)
    padded_width, padded_height = _reduced_box_size(padded)
    assert abs(padded_width - width) <= 1 and abs(padded_height - height) <= 1


def test_blend_line_between_padding_and_frame_is_trimmed() -> None:
    # What halving leaves around a grey frame padded by an odd number of pixels: edge lines half white,
    # corners three quarters white. They differ by more than the tolerance, so they are not one frame.
    pixels = np.full((40, 60), 255, dtype=np.uint8)
    pixels[5:35, 5:55] = 233
    pixels[[5, 5, 34, 34], [5, 54, 5, 54]] = 244
    pixels[6:34, 6:54] = 211  # the picture's grey frame
    pixels[15:25, 20:40] = 30  # its content
    assert border_box(Image.fromarray(pixels)) == (20, 15, 40, 25)


@pytest.mark.parametrize("fraction", [0.05, 0.15])
@pytest.mark.parametrize("axis_width", [1, 2])
def test_sparse_plot_keeps_its_thin_edge_lines(fraction: float, axis_width: int) -> None:
    plot = Image.new("L", (200, 150), 255)
    draw = ImageDraw.Draw(plot)
    draw.line((0, 149, 199, 149), fill=0, width=axis_width)  # x axis along the bottom edge
    draw.line((0, 0, 0, 149), fill=90, width=axis_width)  # grey y axis along the left edge
    # The right edge column and the top edge row are 99% white: a lone tick, a short light mark.
    draw.line((199, 147, 199, 149), fill=0)
    draw.line((60, 0, 62, 0), fill=160)
    draw.line((20, 120, 180, 30), fill=0, width=2)
    padded = _pad(plot, fraction, 255)
    for picture in (plot, padded):
        box = border_box(picture)
        assert (box[2] - box[0], box[3] - box[1]) == plot.size


def test_light_marks_at_the_corners_do_not_make_a_frame() -> None:
    # Four corners of one light shade, on a white background: not a frame, so the light ink stays.
    plot = Image.new("L", (200, 150), 255)
    draw = ImageDraw.Draw(plot)
    for x, y in ((0, 0), (197, 0), (0, 147), (197, 147)):
        draw.rectangle((x, y, x + 2, y + 2), fill=232)
    draw.line((10, 20, 10, 130), fill=228, width=3)  # a faint axis label
    draw.line((40, 120, 180, 30), fill=0, width=2)
    box = border_box(_pad(plot, 0.1, 255))
    assert (box[2] - box[0], box[3] - box[1]) == plot.size


def test_all_white_image_keeps_its_full_box() -> None:
    assert border_box(Image.new("L", (30, 20), 255)) == (0, 0, 30, 20)


def test_trim_threshold_decides_what_counts_as_white() -> None:
    # Left margin 235, right margin 250: the corners differ, so only the white threshold can trim.
    padded = _pad(_figure(), 0.1)
    padded.paste((235, 235, 235), (0, 0, padded.width // 2, padded.height))
    padded.paste(_figure(), ((padded.width - 120) // 2, (padded.height - 80) // 2))
    assert trim_near_white_border(padded, threshold=240).size[0] > 120
    assert trim_near_white_border(padded, threshold=230).size == _figure().size


def test_export_bytes_keep_plain_jpeg_and_png_untouched() -> None:
    jpeg = _encode(_figure(), "JPEG")
    png = _encode(_figure().convert("L"), "PNG")
    assert normalised_image_bytes(jpeg) == (jpeg, "jpg")
    assert normalised_image_bytes(png) == (png, "png")


def test_export_bytes_of_rgba_png_are_rgb_on_white() -> None:
    rgba = Image.new("RGBA", (8, 8), (0, 0, 0, 0))
    result = normalised_image_bytes(_encode(rgba, "PNG"))
    assert not isinstance(result, QuarantineItem)
    data, extension = result
    exported = Image.open(io.BytesIO(data))
    assert (extension, exported.format, exported.mode) == ("png", "PNG", "RGB")
    assert exported.getpixel((3, 3)) == (255, 255, 255)


def test_export_bytes_of_rotated_or_cmyk_jpeg_are_upright_rgb_jpeg() -> None:
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = 6
    rotated = _encode(_figure(), "JPEG", exif=exif.tobytes())
    cmyk = _encode(Image.new("CMYK", (8, 8), (0, 255, 255, 0)), "JPEG")
    for source, size in ((rotated, (80, 120)), (cmyk, (8, 8))):
        result = normalised_image_bytes(source)
        assert not isinstance(result, QuarantineItem)
        data, extension = result
        exported = Image.open(io.BytesIO(data))
        assert (extension, exported.format, exported.mode, exported.size) == ("jpg", "JPEG", "RGB", size)
        assert exported.getexif().get(ORIENTATION_TAG) is None


def test_export_bytes_of_16_bit_png_and_gif_are_8_bit_png() -> None:
    ramp = Image.fromarray(np.arange(65536, dtype=np.uint16).reshape(256, 256))
    for source in (_encode(ramp, "PNG"), _encode(_figure().convert("P"), "GIF")):
        result = normalised_image_bytes(source)
        assert not isinstance(result, QuarantineItem)
        exported = Image.open(io.BytesIO(result[0]))
        assert (result[1], exported.format, exported.mode) in (("png", "PNG", "L"), ("png", "PNG", "RGB"))


def test_export_bytes_of_bad_input_are_quarantined() -> None:
    result = normalised_image_bytes(b"%PDF-1.7\n")
    assert isinstance(result, QuarantineItem)
    assert result.reason is Reason.IMAGE_UNSUPPORTED
