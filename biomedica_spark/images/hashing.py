"""Perceptual hashes (ImageHash 4.3.2 `phash`, bit for bit), Hamming distances and the near-blank gate.

pHash as ImageHash computes it: greyscale, LANCZOS resize to (4·n)×(4·n), unnormalised DCT-II along
axis 0 then axis 1 (scipy.fftpack's convention, here as a precomputed cosine matrix, so scipy is not
needed), keep the top-left n×n coefficients, bit = coefficient > their median, bits in row-major order
with the first bit most significant (ImageHash's hex string). n = 8 gives pHash-64, n = 16 pHash-256.

Coefficients are rounded to 6 decimals before the median test. On images whose coefficients tie in exact
arithmetic (flat or mirror-symmetric images) the unrounded bits would follow floating-point noise, which
differs between scipy and BLAS and between machines; rounding makes those bits deterministic (ties read
as "not greater"). The noise is ~1e-9, far below the rounding step, so bits can differ from ImageHash's
only where ImageHash's own bits are noise; on every real PMC figure and test image they are identical.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from PIL import Image

_HIGHFREQ_FACTOR = 4  # ImageHash's default: the DCT input is 4× the hash side
_TIE_DECIMALS = 6
_UINT64_MASK = (1 << 64) - 1
_BYTE_POPCOUNT = np.array([bin(value).count("1") for value in range(256)], dtype=np.uint8)

# A pixel is "ink" when it differs from the most common grey level by more than this.
DEFAULT_INK_TOLERANCE = 24
# Below this fraction of ink pixels an image carries too little to tell near-duplicates apart.
DEFAULT_MIN_INFO_SCORE = 0.005
DEFAULT_MIN_SIDE = 16


@cache
def _dct_basis(hash_size: int) -> np.ndarray:
    """The first `hash_size` rows of scipy.fftpack's unnormalised DCT-II matrix for length 4·hash_size."""
    length = hash_size * _HIGHFREQ_FACTOR
    frequency = np.arange(hash_size)[:, np.newaxis]
    position = np.arange(length)[np.newaxis, :]
    return 2.0 * np.cos(np.pi * frequency * (2 * position + 1) / (2 * length))


def _phash_bits(image: Image.Image, hash_size: int) -> np.ndarray:
    """The hash_size × hash_size boolean pHash matrix, exactly `imagehash.phash(image, hash_size).hash`."""
    side = hash_size * _HIGHFREQ_FACTOR
    grey = image if image.mode == "L" else image.convert("L")
    pixels = np.asarray(grey.resize((side, side), Image.Resampling.LANCZOS), dtype=np.float64)
    basis = _dct_basis(hash_size)
    low_frequencies = np.round(basis @ pixels @ basis.T, _TIE_DECIMALS)
    return low_frequencies > np.median(low_frequencies)


def phash64(image: Image.Image) -> int:
    """pHash-64 as a signed 64-bit integer (two's complement of the unsigned hash), for Spark LongType."""
    unsigned = int.from_bytes(np.packbits(_phash_bits(image, 8)).tobytes(), "big")
    return unsigned - (1 << 64) if unsigned >= (1 << 63) else unsigned


def phash64_hex(value: int) -> str:
    """16 hex digits, the same text as `str(imagehash.phash(image))`."""
    return f"{value & _UINT64_MASK:016x}"


def phash256(image: Image.Image) -> bytes:
    """pHash with hash_size 16: 32 bytes, `bytes.fromhex(str(imagehash.phash(image, 16)))`."""
    return np.packbits(_phash_bits(image, 16)).tobytes()


def hamming64(a: int, b: int) -> int:
    return ((a ^ b) & _UINT64_MASK).bit_count()


def hamming_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """All-pairs Hamming distances, shape (len(a), len(b)), dtype uint16.

    Rows are int64 hashes: shape (n,) for pHash-64, or (n, words) for longer hashes split into 64-bit
    words (pHash-256: `np.frombuffer(b"".join(hashes), dtype=">i8").reshape(-1, 4)`).
    """
    # Unsigned: numpy's bitwise_count counts the bits of |x| for signed integers.
    left = np.asarray(a, dtype=np.int64).view(np.uint64)
    right = np.asarray(b, dtype=np.int64).view(np.uint64)
    if left.ndim == 1:
        left, right = left[:, np.newaxis], right[:, np.newaxis]
    differing = left[:, np.newaxis, :] ^ right[np.newaxis, :, :]
    return _popcount(differing).sum(axis=2, dtype=np.uint16)


def _popcount(words: np.ndarray) -> np.ndarray:
    if hasattr(np, "bitwise_count"):  # numpy >= 2.0
        return np.bitwise_count(words)
    as_bytes = np.ascontiguousarray(words).view(np.uint8).reshape(*words.shape, 8)
    return _BYTE_POPCOUNT[as_bytes].sum(axis=-1, dtype=np.uint8)


def info_score(grey_small: Image.Image, *, tolerance: int = DEFAULT_INK_TOLERANCE) -> float:
    """Fraction (0..1) of pixels that differ from the most common grey level by more than `tolerance`.

    Meant for a small, border-trimmed greyscale image (analysis uses one whose long side is 128 px): a
    blank or single-colour image scores 0, a sparse line plot a few percent, a photograph close to 1.
    """
    pixels = np.asarray(grey_small if grey_small.mode == "L" else grey_small.convert("L"))
    background = int(np.argmax(np.bincount(pixels.ravel(), minlength=256)))
    ink = np.abs(pixels.astype(np.int16) - background) > tolerance
    return float(ink.mean())


def is_near_blank(
    score: float,
    width: int,
    height: int,
    *,
    min_side: int = DEFAULT_MIN_SIDE,
    min_info_score: float = DEFAULT_MIN_INFO_SCORE,
) -> bool:
    """Near-blank: almost no ink (`info_score` below `min_info_score`) or a trimmed side below `min_side`.

    Such images share a handful of pHashes, so dedup matches them on exact bytes only.
    """
    return score < min_info_score or min(width, height) < min_side
