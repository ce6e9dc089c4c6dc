"""The realistic profile: package sizes and figure sizes of real PMC packages, for benchmarks."""

from __future__ import annotations

import io
import tarfile

import numpy as np
import pytest
from PIL import Image

from biomedica_spark.samples.generator import build_archive
from biomedica_spark.samples.plan import SHOWCASE_SLOTS, plan_archive


@pytest.mark.timeout(20)
def test_realistic_packages_weigh_like_real_ones() -> None:
    legacy = [
        i
        for i in range(SHOWCASE_SLOTS, SHOWCASE_SLOTS + 30)
        if plan_archive(0, i).layout == "legacy_package" and plan_archive(0, i).container == "tar.gz"
    ][:3]
    assert len(legacy) == 3
    for index in legacy:
        path, data, result = build_archive(0, index, profile="realistic")
        assert 700_000 <= len(data) <= 1_800_000, (path, len(data))
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            names = tar.getnames()
            assert any(name.endswith(".pdf") and tar.getmember(name).size > 100_000 for name in names)
        figures = {m: i for m, i in result.truth.images.items() if i.role == "figure"}
        assert 1 <= len(figures) <= 8
        for member, image in figures.items():
            if image.format == "JPEG" and image.mode == "RGB":
                assert 30_000 <= image.byte_size <= 300_000, member
                assert max(image.width or 0, image.height or 0) >= 800
            thumbnail = member.rsplit(".", 1)[0] + ".gif"
            if thumbnail in result.truth.images:
                assert result.truth.images[thumbnail].role == "thumbnail"


def test_realistic_jpegs_carry_texture_so_distinct_figures_look_distinct() -> None:
    _, data, result = build_archive(0, SHOWCASE_SLOTS, profile="realistic")
    jpegs = [m for m, i in result.truth.images.items() if i.format == "JPEG" and i.role == "figure"]
    assert jpegs
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        member = tar.extractfile(jpegs[0])
        assert member is not None
        grey = np.asarray(Image.open(io.BytesIO(member.read())).convert("L"))
    assert int(grey.max()) - int(grey.min()) > 30
