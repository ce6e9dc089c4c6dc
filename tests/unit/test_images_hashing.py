"""pHash-64/256 are ImageHash 4.3.2's bit for bit; Hamming helpers; information score and near-blank gate."""

from __future__ import annotations

import imagehash
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from biomedica_spark.images import hashing
from biomedica_spark.images.hashing import (
    hamming64,
    hamming_matrix,
    info_score,
    is_near_blank,
    phash64,
    phash64_hex,
    phash256,
)


def _noise(seed: int, size: tuple[int, int] = (97, 61)) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (size[1], size[0]), dtype=np.uint8))


def _smooth_photo(seed: int) -> Image.Image:
    """Broad light and dark regions with soft edges, like a micrograph or a photograph."""
    blobs = _noise(seed, (18, 12)).resize((180, 120), Image.Resampling.BICUBIC)
    return blobs.filter(ImageFilter.GaussianBlur(2))


def _shapes() -> Image.Image:
    image = Image.new("L", (150, 110), 255)
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, 60, 70), fill=0)
    draw.ellipse((70, 30, 140, 100), fill=120)
    draw.line((0, 109, 149, 0), fill=30, width=3)
    return image


def _gradient() -> Image.Image:
    return Image.fromarray(np.tile(np.arange(200, dtype=np.uint8), (90, 1)))


SAMPLES = {
    "noise": _noise(1),
    "noise-tall": _noise(2, (40, 300)),
    "photo-like": _smooth_photo(3),
    "shapes": _shapes(),
    "gradient": _gradient(),
    "tiny": _noise(4, (5, 3)),
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_phash64_equals_imagehash_bit_for_bit(name: str) -> None:
    image = SAMPLES[name]
    assert phash64_hex(phash64(image)) == str(imagehash.phash(image))


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_phash256_equals_imagehash_with_hash_size_16(name: str) -> None:
    image = SAMPLES[name]
    assert phash256(image) == bytes.fromhex(str(imagehash.phash(image, hash_size=16)))


def test_rgb_input_is_converted_like_imagehash() -> None:
    rgb = Image.merge("RGB", (_noise(5), _noise(6), _noise(7)))
    assert phash64_hex(phash64(rgb)) == str(imagehash.phash(rgb))


def test_phash64_is_a_signed_64_bit_integer() -> None:
    values = [phash64(image) for image in SAMPLES.values()]
    assert all(-(2**63) <= value < 2**63 for value in values)
    assert any(value < 0 for value in values)  # the top bit is set for some hashes: two's complement


def test_flat_image_hash_is_deterministic() -> None:
    # Every AC coefficient is zero: only the DC bit is set, whatever the floating-point noise.
    assert phash64_hex(phash64(Image.new("L", (64, 64), 77))) == "8000000000000000"


def test_hamming64_counts_differing_bits_of_signed_values() -> None:
    assert hamming64(0, 0) == 0
    assert hamming64(-1, 0) == 64
    assert hamming64(-(2**63), 0) == 1
    assert hamming64(0b1011, 0b0110) == 3


def test_hamming_matrix_matches_pairwise_hamming64() -> None:
    rng = np.random.default_rng(8)
    a = rng.integers(-(2**63), 2**63 - 1, size=7, dtype=np.int64)
    b = rng.integers(-(2**63), 2**63 - 1, size=5, dtype=np.int64)
    expected = np.array([[hamming64(int(x), int(y)) for y in b] for x in a])
    assert np.array_equal(hamming_matrix(a, b), expected)


def test_hamming_matrix_on_256_bit_hashes_as_words() -> None:
    hashes = [phash256(image) for image in SAMPLES.values()]
    words = np.frombuffer(b"".join(hashes), dtype=">i8").reshape(-1, 4)
    expected = np.array(
        [[imagehash.hex_to_hash(x.hex()) - imagehash.hex_to_hash(y.hex()) for y in hashes] for x in hashes]
    )
    assert np.array_equal(hamming_matrix(words, words), expected)


def test_hamming_matrix_without_numpy_bitwise_count(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(9)
    a = rng.integers(-(2**63), 2**63 - 1, size=6, dtype=np.int64)
    expected = hamming_matrix(a, a)
    monkeypatch.delattr(np, "bitwise_count", raising=False)
    assert np.array_equal(hashing.hamming_matrix(a, a), expected)


def test_info_score_of_blank_and_single_colour_images_is_zero() -> None:
    assert info_score(Image.new("L", (100, 100), 255)) == 0.0
    assert info_score(Image.new("L", (100, 100), 0)) == 0.0
    assert info_score(Image.new("RGB", (100, 100), (200, 30, 30))) == 0.0


def test_info_score_ignores_faint_noise_but_counts_ink() -> None:
    rng = np.random.default_rng(10)
    faint = Image.fromarray((250 + rng.integers(0, 6, (100, 100))).astype(np.uint8))
    assert info_score(faint) == 0.0
    assert info_score(_shapes()) > 0.3
    assert info_score(_smooth_photo(11)) > 0.5


def test_near_blank_rule() -> None:
    assert is_near_blank(0.0, 500, 500)
    assert is_near_blank(0.004, 500, 500)
    assert not is_near_blank(0.02, 500, 500)
    assert is_near_blank(0.9, 12, 500)  # too small to compare perceptually
    assert not is_near_blank(0.9, 12, 500, min_side=8)
    assert is_near_blank(0.02, 500, 500, min_info_score=0.05)
