"""The default descriptor and the embedder plumbing (batching, quarantine, versions) without Spark;
the DINOv2 plumbing runs here with a fake network, the real torch model in tests/ml/."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from PIL import Image

from biomedica_spark.annotate.descriptor import DESCRIPTOR_DIM, describe_picture, reduced_picture
from biomedica_spark.annotate.embedders import (
    EMBED_OUTPUT_SCHEMA,
    Dinov2Embedder,
    HandcraftedEmbedder,
    embed_batch,
    make_embedder,
    preprocess,
    resolve_spec,
)
from biomedica_spark.annotate.synthetic import KNOWN_TYPES, known_figure
from biomedica_spark.quarantine import QuarantineItem, Reason


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_descriptor_is_fixed_size_finite_and_deterministic() -> None:
    for kind in KNOWN_TYPES:
        data = known_figure(kind, 0).data
        picture = reduced_picture(data)
        assert isinstance(picture, Image.Image)
        first, second = describe_picture(picture), describe_picture(reduced_picture(data))  # type: ignore[arg-type]
        assert first.shape == (DESCRIPTOR_DIM,) and first.dtype == np.float32
        assert np.isfinite(first).all()
        assert np.array_equal(first, second)


def test_descriptor_neighbours_share_their_type() -> None:
    """Standardised descriptors: most figures' nearest neighbour is a figure of the same known type."""
    figures = [known_figure(kind, index, seed=3) for index in range(8) for kind in KNOWN_TYPES]
    vectors = np.stack([describe_picture(reduced_picture(f.data)) for f in figures])  # type: ignore[arg-type]
    scaled = (vectors - vectors.mean(axis=0)) / (vectors.std(axis=0) + 1e-6)
    distances = np.linalg.norm(scaled[:, None] - scaled[None], axis=-1)
    np.fill_diagonal(distances, np.inf)
    nearest = distances.argmin(axis=1)
    agree = np.mean([figures[i].known_type == figures[j].known_type for i, j in enumerate(nearest)])
    assert agree >= 0.8


@pytest.mark.parametrize(
    "image",
    [
        Image.new("RGB", (1, 1), "black"),
        Image.new("L", (3, 500), 0),
        Image.new("RGBA", (40, 30), (255, 0, 0, 0)),  # fully transparent: white after compositing
        Image.new("I;16", (50, 50), 40000),
    ],
)
def test_descriptor_survives_degenerate_images(image: Image.Image) -> None:
    picture = reduced_picture(png(image))
    assert isinstance(picture, Image.Image)
    vector = describe_picture(picture)
    assert vector.shape == (DESCRIPTOR_DIM,) and np.isfinite(vector).all()


def test_handcrafted_embedder_quarantines_bad_bytes_in_place() -> None:
    embedder = make_embedder(resolve_spec("handcrafted"))
    assert isinstance(embedder, HandcraftedEmbedder)
    out = embedder.embed([known_figure("plot", 0).data, b"not an image", known_figure("photo", 0).data])
    assert isinstance(out[0], np.ndarray) and isinstance(out[2], np.ndarray)
    assert isinstance(out[1], QuarantineItem) and out[1].reason is Reason.IMAGE_CORRUPT


def test_embed_batch_emits_vectors_reasons_and_paths() -> None:
    good = known_figure("microscopy", 0).data
    batch = pa.RecordBatch.from_pydict(
        {
            "image_sha256": ["a", "b", "c"],
            "image_bytes": [good, b"junk", None],
            "first_source_path": ["s1", "s2", None],
            "first_member_path": ["m1", "m2", None],
        }
    )
    out = embed_batch(make_embedder(resolve_spec("handcrafted")), batch)
    assert out.schema == EMBED_OUTPUT_SCHEMA
    rows = out.to_pylist()
    assert rows[0]["dim"] == DESCRIPTOR_DIM and len(rows[0]["embedding"]) == DESCRIPTOR_DIM
    assert rows[0]["reason_code"] is None
    assert (rows[1]["reason_code"], rows[1]["embedding"], rows[1]["source_path"]) == (
        "image_corrupt",
        None,
        "s2",
    )
    assert rows[2]["reason_code"] == "image_missing"


class FakeNetwork:
    """Records batch shapes; returns each image's mean pixel repeated, so outputs follow inputs."""

    def __init__(self, dim: int = 5) -> None:
        self.dim = dim
        self.batches: list[tuple[int, ...]] = []

    def forward(self, batch: np.ndarray) -> np.ndarray:
        self.batches.append(batch.shape)
        return np.repeat(batch.mean(axis=(1, 2, 3))[:, None], self.dim, axis=1).astype(np.float32)


@pytest.fixture()
def weights(tmp_path: Path) -> Path:
    path = tmp_path / "dinov2.pth"
    path.write_bytes(b"pretend weights")
    return path


def test_dinov2_spec_records_architecture_and_weights_digest(weights: Path) -> None:
    spec = resolve_spec("dinov2", weights_path=str(weights), arch="vit_small_patch14_dinov2", image_size=112)
    assert spec.version.startswith("vit_small_patch14_dinov2-112-")
    other = weights.parent / "other.pth"
    other.write_bytes(b"other weights")
    assert resolve_spec(
        "dinov2", weights_path=str(other), arch="vit_small_patch14_dinov2", image_size=112
    ).version != (spec.version)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "needs annotate.dinov2.weights_path"),
        ({"weights_path": "/nonexistent/w.pth"}, "weights not found"),
        ({"weights_path": "WEIGHTS", "image_size": 100}, "multiple of 14"),
        ({"weights_path": "WEIGHTS", "batch_size": 0}, "batch_size >= 1"),
    ],
)
def test_dinov2_spec_refuses_bad_settings(weights: Path, kwargs: dict, message: str) -> None:
    if kwargs.get("weights_path") == "WEIGHTS":
        kwargs = {**kwargs, "weights_path": str(weights)}
    with pytest.raises(ValueError, match=message):
        resolve_spec("dinov2", **kwargs)


def test_unknown_embedder_is_refused() -> None:
    with pytest.raises(ValueError, match=r"annotate\.embedder must be one of"):
        resolve_spec("clip")


def test_dinov2_embedder_batches_and_keeps_order_around_bad_images(weights: Path) -> None:
    spec = resolve_spec("dinov2", weights_path=str(weights), image_size=28, batch_size=2)
    network = FakeNetwork()
    embedder = Dinov2Embedder(spec, network)
    images = [known_figure(kind, 0).data for kind in KNOWN_TYPES[:4]]
    images.insert(2, b"junk")
    out = embedder.embed(images)
    assert [type(o).__name__ for o in out] == ["ndarray", "ndarray", "QuarantineItem", "ndarray", "ndarray"]
    assert network.batches == [(2, 3, 28, 28), (2, 3, 28, 28)]
    expected = [preprocess(images[i], 28) for i in (0, 1, 3, 4)]
    got = [o for o in out if isinstance(o, np.ndarray)]
    for vector, pixels in zip(got, expected, strict=True):
        assert vector[0] == pytest.approx(float(pixels.mean()), rel=1e-5)  # type: ignore[union-attr]


def test_dinov2_embedder_rejects_a_network_that_loses_images(weights: Path) -> None:
    class Lossy(FakeNetwork):
        def forward(self, batch: np.ndarray) -> np.ndarray:
            return super().forward(batch)[:-1]

    spec = resolve_spec("dinov2", weights_path=str(weights), image_size=28, batch_size=4)
    with pytest.raises(RuntimeError, match="returned 1 vectors for 2 images"):
        Dinov2Embedder(spec, Lossy()).embed([known_figure("plot", 0).data, known_figure("photo", 0).data])


def test_preprocess_is_imagenet_normalised_channels_first() -> None:
    pixels = preprocess(png(Image.new("RGB", (64, 32), (255, 255, 255))), 28)
    assert isinstance(pixels, np.ndarray) and pixels.shape == (3, 28, 28)
    # White: (1 - mean) / std per channel.
    assert pixels[:, 0, 0] == pytest.approx(
        [(1 - 0.485) / 0.229, (1 - 0.456) / 0.224, (1 - 0.406) / 0.225], rel=1e-5
    )
    assert isinstance(preprocess(b"junk", 28), QuarantineItem)
