"""Pluggable image embedders: bytes in, one float32 vector (or a QuarantineItem) per image out.

- `handcrafted` (default): the descriptor in `descriptor.py`; pure numpy + Pillow, no weights.
- `dinov2`: a DINOv2 ViT through timm and torch (the optional `[ml]` extra), weights from a local file
  (nothing is downloaded), on a GPU when one is present. Images are preprocessed one by one (a bad one
  becomes a QuarantineItem) and run through the network in batches of `batch_size`.

An `EmbedderSpec` is resolved once on the driver (`resolve_spec`): it carries the version stored with
every vector (the descriptor version, or the architecture plus the weights file's sha256), so workers
never re-hash weights and a vector always says exactly which model made it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, cast

import numpy as np
import pyarrow as pa
from PIL import Image

from biomedica_spark.annotate.descriptor import DESCRIPTOR_VERSION, describe_picture, reduced_picture
from biomedica_spark.quarantine import QuarantineItem, Reason

EMBEDDERS = ("handcrafted", "dinov2")
IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
# What the embed UDF emits per representative (the job's EMBED_OUTPUT_DDL): a vector, or a reason.
EMBED_OUTPUT_SCHEMA = pa.schema(
    [
        ("image_sha256", pa.string()),
        ("embedding", pa.list_(pa.float32())),
        ("dim", pa.int32()),
        ("reason_code", pa.string()),
        ("detail", pa.string()),
        ("source_path", pa.string()),
        ("member_path", pa.string()),
    ]
)


@dataclass(frozen=True)
class EmbedderSpec:
    name: str
    version: str
    weights_path: str | None = None
    arch: str = "vit_large_patch14_dinov2"
    image_size: int = 224
    batch_size: int = 32
    device: str = "auto"  # auto: cuda when torch sees a GPU, else cpu


class Embedder(Protocol):
    spec: EmbedderSpec

    def embed(self, images: Sequence[bytes]) -> list[np.ndarray | QuarantineItem]: ...


class VisionBackend(Protocol):
    """A network that maps a (n, 3, size, size) float32 batch to (n, dim) float32 vectors."""

    def forward(self, batch: np.ndarray) -> np.ndarray: ...


def resolve_spec(
    name: str,
    *,
    weights_path: str | None = None,
    arch: str = "vit_large_patch14_dinov2",
    image_size: int = 224,
    batch_size: int = 32,
    device: str = "auto",
) -> EmbedderSpec:
    """Check the settings and fix the version; a DINOv2 spec needs a readable local weights file."""
    if name == "handcrafted":
        return EmbedderSpec(name, f"descriptor-v{DESCRIPTOR_VERSION}")
    if name != "dinov2":
        raise ValueError(f"annotate.embedder must be one of {EMBEDDERS}, got {name!r}")
    if not weights_path:
        raise ValueError("annotate.embedder=dinov2 needs annotate.dinov2.weights_path (a local file)")
    path = Path(weights_path)
    if not path.is_file():
        raise ValueError(f"DINOv2 weights not found at {path} (weights are never downloaded)")
    if batch_size < 1 or image_size % 14:
        raise ValueError(
            f"need batch_size >= 1 and image_size a multiple of 14, got {batch_size}, {image_size}"
        )
    version = f"{arch}-{image_size}-{file_sha256(path)[:16]}"
    return EmbedderSpec(name, version, str(path), arch, image_size, batch_size, device)


def make_embedder(spec: EmbedderSpec, backend: VisionBackend | None = None) -> Embedder:
    if spec.name == "handcrafted":
        return HandcraftedEmbedder(spec)
    return Dinov2Embedder(spec, backend)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class HandcraftedEmbedder:
    def __init__(self, spec: EmbedderSpec) -> None:
        self.spec = spec

    def embed(self, images: Sequence[bytes]) -> list[np.ndarray | QuarantineItem]:
        out: list[np.ndarray | QuarantineItem] = []
        for data in images:
            picture = reduced_picture(data)
            out.append(picture if isinstance(picture, QuarantineItem) else describe_picture(picture))
        return out


class Dinov2Embedder:
    def __init__(self, spec: EmbedderSpec, backend: VisionBackend | None = None) -> None:
        self.spec = spec
        self.backend = backend if backend is not None else TimmBackend(spec)

    def embed(self, images: Sequence[bytes]) -> list[np.ndarray | QuarantineItem]:
        out: list[np.ndarray | QuarantineItem | None] = [None] * len(images)
        ready: list[tuple[int, np.ndarray]] = []
        for index, data in enumerate(images):
            pixels = preprocess(data, self.spec.image_size)
            if isinstance(pixels, QuarantineItem):
                out[index] = pixels
            else:
                ready.append((index, pixels))
        size = self.spec.batch_size
        for start in range(0, len(ready), size):
            chunk = ready[start : start + size]
            vectors = self.backend.forward(np.stack([pixels for _, pixels in chunk]))
            if vectors.shape[0] != len(chunk):
                raise RuntimeError(f"backend returned {vectors.shape[0]} vectors for {len(chunk)} images")
            for (index, _), vector in zip(chunk, vectors, strict=True):
                out[index] = np.asarray(vector, dtype=np.float32)
        # Every slot is filled: a quarantine item above, or a vector from its batch.
        return cast("list[np.ndarray | QuarantineItem]", out)


def preprocess(data: bytes, size: int) -> np.ndarray | QuarantineItem:
    """DINOv2 input: the trimmed picture resized to size x size, ImageNet-normalised, channels first."""
    picture = reduced_picture(data, side=size * 2)
    if isinstance(picture, QuarantineItem):
        return picture
    resized = picture.resize((size, size), Image.Resampling.BICUBIC)
    pixels = (np.asarray(resized, dtype=np.float32) / 255 - IMAGENET_MEAN) / IMAGENET_STD
    return np.ascontiguousarray(pixels.transpose(2, 0, 1))


class TimmBackend:
    """A timm DINOv2 ViT with the weights of `spec.weights_path` (a torch state dict or safetensors)."""

    def __init__(self, spec: EmbedderSpec) -> None:
        try:
            import timm
            import torch
        except ImportError as exc:
            raise RuntimeError(
                "annotate.embedder=dinov2 needs torch and timm: pip install 'biomedica-spark[ml]'"
            ) from exc
        if spec.weights_path is None:
            raise ValueError("a DINOv2 backend needs a weights file")
        self.torch = torch
        device = spec.device
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(device)
        model = timm.create_model(spec.arch, pretrained=False, num_classes=0, img_size=spec.image_size)
        model.load_state_dict(load_state_dict(spec.weights_path), strict=True)
        self.model = model.eval().to(self.device)

    def forward(self, batch: np.ndarray) -> np.ndarray:
        with self.torch.inference_mode():
            tensor = self.torch.from_numpy(batch).to(self.device)
            return self.model(tensor).float().cpu().numpy()


def load_state_dict(path: str) -> dict:
    if path.endswith(".safetensors"):
        from safetensors.torch import load_file

        return dict(load_file(path))
    import torch

    loaded = torch.load(path, map_location="cpu", weights_only=True)
    # Checkpoints often wrap the weights: {"model": {...}} or {"state_dict": {...}}.
    for key in ("model", "state_dict", "teacher"):
        if isinstance(loaded, dict) and isinstance(loaded.get(key), dict):
            loaded = loaded[key]
    return dict(loaded)


def embed_batch(embedder: Embedder, batch: pa.RecordBatch) -> pa.RecordBatch:
    """Rows (image_sha256, image_bytes, first_source_path, first_member_path) -> EMBED_OUTPUT_SCHEMA rows:
    a vector per readable image; a reason code and detail for an unreadable or missing one."""
    shas = batch.column("image_sha256").to_pylist()
    datas = batch.column("image_bytes").to_pylist()
    present = [i for i, data in enumerate(datas) if data]
    results: dict[int, np.ndarray | QuarantineItem] = dict(
        zip(present, embedder.embed([datas[i] for i in present]), strict=True)
    )
    vectors: list[list[float] | None] = []
    dims: list[int | None] = []
    reasons: list[str | None] = []
    details: list[str | None] = []
    for index in range(len(shas)):
        result = results.get(index)
        if isinstance(result, np.ndarray):
            vectors.append(result.astype(np.float32).tolist())
            dims.append(int(result.size))
            reasons.append(None)
            details.append(None)
        else:
            vectors.append(None)
            dims.append(None)
            reasons.append(result.reason.value if result is not None else Reason.IMAGE_MISSING.value)
            details.append(
                result.detail if result is not None else "the representative has no bytes in images"
            )
    columns = [
        pa.array(shas, pa.string()),
        pa.array(vectors, pa.list_(pa.float32())),
        pa.array(dims, pa.int32()),
        pa.array(reasons, pa.string()),
        pa.array(details, pa.string()),
        batch.column("first_source_path").cast(pa.string()),
        batch.column("first_member_path").cast(pa.string()),
    ]
    return pa.RecordBatch.from_arrays(columns, schema=EMBED_OUTPUT_SCHEMA)
