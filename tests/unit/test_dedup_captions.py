"""Caption normalisation: form differences vanish, content differences stay."""

from __future__ import annotations

import pytest

from biomedica_spark.dedup.captions import caption_key, normalize_caption


@pytest.mark.parametrize(
    ("caption", "expected"),
    [
        ("Figure 2. Effect of X", "effect of x"),
        ("Fig. 2: Effect of X", "effect of x"),
        ("FIG 2B – Effect of X", "effect of x"),
        ("Figure 2a-c. Effect of X", "effect of x"),
        ("Supplementary Figure S3. Effect of X", "effect of x"),
        ("Fig. 3 - the effect", "the effect"),
        ("  Ｆｉｇｕｒｅ\u3000２． Eﬀect  of\n X ", "effect of x"),  # full-width, ideographic space, ligature
        ("Figure 10. Mouse\u00a0brain", "mouse brain"),
        ("Figure 2", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_normalize_caption(caption: str | None, expected: str) -> None:
    assert normalize_caption(caption) == expected


@pytest.mark.parametrize("caption", ["Figures show the effect", "fig trees in bloom", "Figure legend: n = 3"])
def test_words_that_are_not_a_numbered_label_stay(caption: str) -> None:
    assert normalize_caption(caption) == caption.casefold()


def test_only_the_leading_label_goes() -> None:
    assert normalize_caption("Figure 1. Compare with Figure 2.") == "compare with figure 2."


def test_caption_key_equal_for_equivalent_captions_only() -> None:
    assert caption_key("Figure 1. A cat") == caption_key("Fig. 7: a  CAT")
    assert caption_key("Figure 1. A cat") != caption_key("Figure 1. A dog")
    assert len(caption_key(None)) == 64
