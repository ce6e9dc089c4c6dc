"""Figures of six known types with captions, for the annotate benchmark and tests.

Plots, microscopy and diagrams reuse the sample corpus drawers (`samples.images`); radiology-like,
chemical-structure and photo-like pictures are drawn here. Every picture is a pure function of
(type, index, seed). Captions mix informative phrasing (in words a caption scorer may or may not know)
with uninformative ones, so caption-suggestion accuracy is not a foregone conclusion.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from biomedica_spark.samples.images import ImageSpec, render

KNOWN_TYPES = ("plot", "microscopy", "radiology", "diagram", "chemical", "photo")
# The global concept an expert would give each known type.
TYPE_CONCEPT = {
    "plot": "Plots and Charts",
    "microscopy": "Microscopy",
    "radiology": "Clinical Imaging",
    "diagram": "Illustrative Diagrams",
    "chemical": "Chemical Structures",
    "photo": "Natural Images",
}
UNINFORMATIVE_SHARE = 0.25

_CAPTIONS = {
    "plot": [
        "Mean {thing} in treated versus control groups; error bars show SD.",
        "Kaplan-Meier survival of patients stratified by {thing}.",
        "Distribution of {thing} across samples (box plot).",
        "Time course of {thing} after stimulation.",
        "Correlation between {thing} and age.",
    ],
    "microscopy": [
        "Representative images of {thing} stained with DAPI (blue); scale bar, 50 um.",
        "Confocal images showing {thing} in cultured cells.",
        "Immunofluorescence of {thing}; magnification x40.",
        "Micrographs of {thing} after treatment.",
    ],
    "radiology": [
        "Axial CT scan of the chest showing {thing}.",
        "T2-weighted MRI of the brain with {thing}.",
        "Chest radiograph of the patient on admission with {thing}.",
        "Sagittal images demonstrating {thing}.",
    ],
    "diagram": [
        "Schematic overview of the {thing} pathway.",
        "Workflow of the study: {thing}.",
        "Proposed model of {thing}.",
        "Flowchart of {thing} selection.",
    ],
    "chemical": [
        "Chemical structures of compounds 1-12 targeting {thing}.",
        "Synthesis of {thing} derivatives.",
        "Structures of the {thing} inhibitors studied.",
        "Molecular structure of {thing}.",
    ],
    "photo": [
        "Photograph of the study site where {thing} was collected.",
        "Adult {thing} in its natural habitat.",
        "Field photo of {thing}.",
        "Overview of the landscape with {thing}.",
    ],
}
_UNINFORMATIVE = [
    "Results of experiment {n}.",
    "See text for details ({n}).",
    "Supplementary data, part {n}.",
]
_THINGS = ["IL-6", "p53", "tumour burden", "the lesion", "sample 4", "group B", "strain K12", "the cohort"]


@dataclass(frozen=True)
class KnownFigure:
    known_type: str
    data: bytes
    caption: str


def known_figures(per_type: int, seed: int = 0, side: int = 256) -> list[KnownFigure]:
    """`per_type` figures of every known type, interleaved, deterministic in `seed`."""
    return [known_figure(kind, index, seed, side) for index in range(per_type) for kind in KNOWN_TYPES]


def known_figure(kind: str, index: int, seed: int = 0, side: int = 256) -> KnownFigure:
    if kind not in KNOWN_TYPES:
        raise ValueError(f"unknown figure type {kind!r}; one of {KNOWN_TYPES}")
    rng = np.random.default_rng((seed, KNOWN_TYPES.index(kind), index))
    width = int(side * rng.uniform(0.8, 1.4))
    height = int(side * rng.uniform(0.7, 1.1))
    return KnownFigure(kind, _picture_bytes(kind, rng, index, seed, width, height), _caption(kind, rng))


def _picture_bytes(
    kind: str, rng: np.random.Generator, index: int, seed: int, width: int, height: int
) -> bytes:
    key = (seed, KNOWN_TYPES.index(kind), index)
    if kind == "plot":
        style = ("line_plot", "bar_chart", "scatter")[index % 3]
        return render(ImageSpec(key, style, width, height, noise=0, encoding="png")).data
    if kind == "microscopy":
        return render(ImageSpec(key, "microscopy", width, height, noise=6, encoding="jpeg")).data
    if kind == "diagram":
        return render(ImageSpec(key, "line_drawing", width, height, noise=0, encoding="png")).data
    drawer = {"radiology": _radiograph, "chemical": _chemical_structure, "photo": _photo}[kind]
    picture = drawer(rng, width, height)
    out = io.BytesIO()
    if kind == "chemical":
        picture.save(out, "PNG")
    else:
        picture.save(out, "JPEG", quality=88)
    return out.getvalue()


def _caption(kind: str, rng: np.random.Generator) -> str:
    thing = _THINGS[int(rng.integers(len(_THINGS)))]
    if rng.random() < UNINFORMATIVE_SHARE:
        return _UNINFORMATIVE[int(rng.integers(len(_UNINFORMATIVE)))].format(n=int(rng.integers(1, 9)))
    templates = _CAPTIONS[kind]
    caption = templates[int(rng.integers(len(templates)))].format(thing=thing)
    return f"({'ABCD'[int(rng.integers(4))]}) {caption}" if rng.random() < 0.3 else caption


def _radiograph(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    """A dark greyscale field with a bright body outline, bone-like structures and film grain."""
    image = Image.new("L", (width, height), int(rng.integers(0, 25)))
    draw = ImageDraw.Draw(image)
    cx, cy = width / 2 + rng.uniform(-0.05, 0.05) * width, height / 2
    rx, ry = width * rng.uniform(0.3, 0.45), height * rng.uniform(0.35, 0.45)
    draw.ellipse([cx - rx, cy - ry, cx + rx, cy + ry], fill=int(rng.integers(70, 110)))
    for _ in range(int(rng.integers(3, 7))):
        bx, by = cx + rng.uniform(-0.6, 0.6) * rx, cy + rng.uniform(-0.6, 0.6) * ry
        sx, sy = rx * rng.uniform(0.1, 0.35), ry * rng.uniform(0.05, 0.3)
        draw.ellipse([bx - sx, by - sy, bx + sx, by + sy], fill=int(rng.integers(150, 235)))
    blurred = image.filter(ImageFilter.GaussianBlur(radius=max(1.0, width / 80)))
    grain = rng.normal(0, 9, (height, width))
    pixels = np.clip(np.asarray(blurred, dtype=np.float32) + grain, 0, 255).astype(np.uint8)
    return Image.fromarray(pixels, "L").convert("RGB")


def _chemical_structure(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    """Skeletal formulae: fused hexagonal rings with side chains and atom letters, black on white."""
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    bond = min(width, height) / rng.uniform(9, 13)
    line = max(1, int(bond / 12))
    for _ in range(int(rng.integers(1, 3))):
        x, y = rng.uniform(0.25, 0.6) * width, rng.uniform(0.3, 0.6) * height
        for _ring in range(int(rng.integers(1, 4))):
            corners = [
                (
                    x + bond * math.cos(math.pi / 6 + k * math.pi / 3),
                    y + bond * math.sin(math.pi / 6 + k * math.pi / 3),
                )
                for k in range(6)
            ]
            draw.polygon(corners, outline=(0, 0, 0), width=line)
            if rng.random() < 0.6:  # an inner double bond
                a, b = corners[int(rng.integers(6))], corners[0]
                draw.line(
                    [
                        (a[0] * 0.8 + x * 0.2, a[1] * 0.8 + y * 0.2),
                        (b[0] * 0.8 + x * 0.2, b[1] * 0.8 + y * 0.2),
                    ],
                    fill=(0, 0, 0),
                    width=line,
                )
            start = corners[int(rng.integers(6))]
            angle = math.pi / 6 + int(rng.integers(6)) * math.pi / 3
            end = (start[0] + bond * math.cos(angle), start[1] + bond * math.sin(angle))
            draw.line([start, end], fill=(0, 0, 0), width=line)
            draw.text((end[0] + 2, end[1] - 5), "NOHS"[int(rng.integers(4))], fill=(0, 0, 0))
            x += bond * math.sqrt(3)
    return image


def _photo(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    """A natural-scene-like picture: sky gradient, textured ground, a few smooth coloured objects."""
    horizon = int(height * rng.uniform(0.3, 0.6))
    ys = np.linspace(0, 1, horizon)[:, None, None]
    sky_top, sky_bottom = (
        rng.uniform([60, 100, 160], [120, 170, 240]),
        rng.uniform([150, 180, 200], [220, 230, 250]),
    )
    sky = np.broadcast_to(sky_top * (1 - ys) + sky_bottom * ys, (horizon, width, 3))
    ground_colour = rng.uniform([40, 60, 20], [140, 140, 80])
    texture = Image.fromarray(
        rng.integers(0, 256, (max(2, (height - horizon) // 4), max(2, width // 4)), dtype=np.uint8), "L"
    )
    ground_texture = np.asarray(
        texture.resize((width, height - horizon), Image.Resampling.BICUBIC), dtype=np.float32
    )
    ground = ground_colour[None, None, :] * (0.6 + 0.8 * ground_texture[..., None] / 255)
    pixels = np.concatenate([sky, ground], axis=0)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(2, 6))):
        x, y = rng.uniform(0, width), rng.uniform(horizon * 0.8, height)
        r = rng.uniform(0.04, 0.15) * width
        colour = tuple(int(c) for c in rng.uniform([30, 30, 10], [200, 160, 120]))
        draw.ellipse([x - r, y - r * rng.uniform(0.5, 1.5), x + r, y + r], fill=colour)
    grain = rng.normal(0, 6, (height, width, 3))
    return Image.fromarray(
        np.clip(
            np.asarray(image.filter(ImageFilter.GaussianBlur(1.2)), dtype=np.float32) + grain, 0, 255
        ).astype(np.uint8),
        "RGB",
    )
