"""Contact sheets: a PNG grid sized by the sample count, unreadable images as placeholders."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from biomedica_spark.annotate.sheets import caption_snippet, render_contact_sheet, sheet_file_name
from biomedica_spark.annotate.synthetic import known_figure


def test_sheet_grid_holds_every_sample() -> None:
    samples = [(known_figure("microscopy", i).data, f"Caption number {i} of many words") for i in range(5)]
    samples.append((None, "missing image"))
    samples.append((b"junk", None))
    png = render_contact_sheet("cluster 3", samples, columns=3, thumb=64)
    with Image.open(io.BytesIO(png)) as sheet:
        assert sheet.format == "PNG"
        cell_w, rows = 64 + 12, 3
        assert sheet.width == 3 * cell_w
        assert sheet.height == 22 + rows * (64 + 12 + 36)
        pixels = np.asarray(sheet.convert("RGB"))
    # The first tile shows the (dark, coloured) micrograph, not white paper.
    assert pixels[22 + 6 : 22 + 6 + 64, 6 : 6 + 64].mean() < 200


def test_caption_snippet_keeps_the_first_words() -> None:
    assert caption_snippet("one two three four", words=2) == "one two ..."
    assert caption_snippet("one two", words=2) == "one two"
    assert caption_snippet(None) == ""


def test_bad_layout_is_refused() -> None:
    with pytest.raises(ValueError, match="columns >= 1"):
        render_contact_sheet("t", [], columns=0)


def test_sheet_file_names_sort_by_cluster() -> None:
    assert sheet_file_name(7) == "cluster_00007.png" < sheet_file_name(1999)
