"""What image analysis returns: plain values ready to become an `images` row."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ImageInfo:
    sha256: str  # hex of the original bytes
    format: str  # Pillow format name: JPEG, PNG, TIFF, GIF...
    width: int  # as stored, before EXIF rotation
    height: int
    mode: str  # Pillow mode of the original: RGB, L, CMYK, I;16, RGBA, P...
    bit_depth: int  # bits per channel (8 or 16)
    exif_orientation: int | None  # 1..8 when present
    phash64: int  # signed 64-bit (two's complement of the unsigned hash), ImageHash bit order
    phash256: bytes  # 32 bytes: pHash with hash_size 16, for verification
    info_score: float  # 0..1, low = near-blank (few non-background pixels / low variance)
    is_near_blank: bool
    trimmed_width: int  # after EXIF + near-white border trim (as seen by the hashes)
    trimmed_height: int
