"""The DINOv2 embedder with real torch + timm: a ViT-S/14 with random weights saved to a local file
(weights cannot be downloaded here), loaded the way production loads ViT-L/14 weights. `make test-ml`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
timm = pytest.importorskip("timm")

from biomedica_spark.annotate.embedders import make_embedder, resolve_spec  # noqa: E402
from biomedica_spark.annotate.synthetic import KNOWN_TYPES, known_figure  # noqa: E402
from biomedica_spark.quarantine import QuarantineItem  # noqa: E402

pytestmark = pytest.mark.ml

ARCH = "vit_small_patch14_dinov2"
SIZE = 56  # 4 x 4 patches of 14 pixels: fast on a CPU


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    model = timm.create_model(ARCH, pretrained=False, num_classes=0, img_size=SIZE)
    path = tmp_path_factory.mktemp("weights") / "vits14.pth"
    torch.save({"model": model.state_dict()}, path)  # wrapped, as released checkpoints often are
    return path


def spec(weights: Path, batch_size: int = 4):  # type: ignore[no-untyped-def]
    return resolve_spec(
        "dinov2", weights_path=str(weights), arch=ARCH, image_size=SIZE, batch_size=batch_size
    )


def test_vectors_have_the_model_width_and_are_deterministic(weights: Path) -> None:
    images = [known_figure(kind, 0).data for kind in KNOWN_TYPES]
    first = make_embedder(spec(weights)).embed(images)
    second = make_embedder(spec(weights)).embed(images)
    for a, b in zip(first, second, strict=True):
        assert isinstance(a, np.ndarray) and a.shape == (384,) and a.dtype == np.float32
        assert np.isfinite(a).all()
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    assert not np.allclose(first[0], first[1])  # different pictures, different vectors


def test_batching_does_not_change_a_vector(weights: Path) -> None:
    images = [known_figure(kind, 1).data for kind in KNOWN_TYPES]
    batched = make_embedder(spec(weights, batch_size=4)).embed(images)
    alone = make_embedder(spec(weights, batch_size=1)).embed(images)
    for a, b in zip(batched, alone, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)  # type: ignore[arg-type]


def test_bad_images_are_quarantined_between_good_ones(weights: Path) -> None:
    out = make_embedder(spec(weights)).embed(
        [known_figure("plot", 2).data, b"junk", known_figure("photo", 2).data]
    )
    assert isinstance(out[1], QuarantineItem)
    assert isinstance(out[0], np.ndarray) and isinstance(out[2], np.ndarray)


def test_safetensors_weights_load_too(weights: Path, tmp_path: Path) -> None:
    from safetensors.torch import save_file

    state = torch.load(weights, map_location="cpu", weights_only=True)["model"]
    path = tmp_path / "vits14.safetensors"
    save_file({k: v.contiguous() for k, v in state.items()}, str(path))
    image = [known_figure("microscopy", 3).data]
    from_pth = make_embedder(spec(weights)).embed(image)[0]
    from_safetensors = make_embedder(spec(path)).embed(image)[0]
    np.testing.assert_allclose(from_pth, from_safetensors, rtol=1e-5, atol=1e-5)  # type: ignore[arg-type]


def test_weights_of_another_shape_are_refused(tmp_path: Path) -> None:
    other = timm.create_model(ARCH, pretrained=False, num_classes=0, img_size=2 * SIZE)  # more patches
    path = tmp_path / "other.pth"
    torch.save(other.state_dict(), path)
    with pytest.raises(RuntimeError, match="size mismatch for pos_embed"):
        make_embedder(spec(path))
