"""The real PMC figures (pmc-real/images): all analyse, hashes equal ImageHash's, draft stays within 2 bits.

Uses the session fixture `real_corpus_dir` (BIOMEDICA_CORPUS_DIR, else the shared pmc-real.tar.gz); skipped
with a message when neither exists.
"""

from __future__ import annotations

from pathlib import Path

import imagehash
import pytest
from PIL import Image

from biomedica_spark.images.analyse import analyse_image
from biomedica_spark.images.decode import decode_image
from biomedica_spark.images.hashing import hamming64, phash64, phash64_hex, phash256
from biomedica_spark.images.model import ImageInfo
from biomedica_spark.images.normalise import normalise, trim_near_white_border

pytestmark = pytest.mark.corpus

RASTER_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".tif", ".tiff"}


@pytest.fixture(scope="module")
def real_images(real_corpus_dir: Path) -> dict[str, bytes]:
    paths = sorted(p for p in (real_corpus_dir / "images").glob("*/*") if p.suffix.lower() in RASTER_SUFFIXES)
    if not paths:
        pytest.skip(f"no images under {real_corpus_dir / 'images'}")
    return {f"{p.parent.name}/{p.name}": p.read_bytes() for p in paths}


def test_every_real_figure_is_analysed(real_images: dict[str, bytes]) -> None:
    failures = {
        name: result
        for name, data in real_images.items()
        if not isinstance(result := analyse_image(data), ImageInfo)
    }
    assert not failures


def test_hashes_equal_imagehash_on_real_normalised_figures(real_images: dict[str, bytes]) -> None:
    compared = 0
    for name, data in real_images.items():
        decoded = decode_image(data)
        assert isinstance(decoded, Image.Image), name
        grey = normalise(decoded).convert("L")
        for image in (grey, trim_near_white_border(grey)):
            assert phash64_hex(phash64(image)) == str(imagehash.phash(image)), name
            assert phash256(image).hex() == str(imagehash.phash(image, hash_size=16)), name
            compared += 1
    assert compared >= 2 * len(real_images)


def test_draft_phash_is_within_two_bits_of_the_full_decode_on_real_jpegs(
    real_images: dict[str, bytes],
) -> None:
    jpegs = {name: data for name, data in real_images.items() if name.lower().endswith((".jpg", ".jpeg"))}
    if not jpegs:
        pytest.skip("no JPEG in the corpus")
    distances = {}
    for name, data in jpegs.items():
        drafted, full = analyse_image(data), analyse_image(data, draft=False)
        assert isinstance(drafted, ImageInfo) and isinstance(full, ImageInfo), name
        distances[name] = hamming64(drafted.phash64, full.phash64)
    assert max(distances.values()) <= 2, {name: d for name, d in distances.items() if d > 2}
