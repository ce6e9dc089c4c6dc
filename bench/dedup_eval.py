"""Labelled near-duplicate evaluation of the dedup thresholds (DESIGN "Dedup", DEDUP-NOTES "Ground truth").

    .venv/bin/python bench/dedup_eval.py [--corpus DIR] [--out bench/results/dedup_eval.json]

Originals: the real figures of the PMC corpus (`$BIOMEDICA_CORPUS_DIR/images`, else
/tmp/pmc/pmc-real/images, else ../shared/corpus/pmc-real.tar.gz unpacked to a temporary folder; GIF
thumbnails of a JPEG are left out) plus generated figures: plots on one shared axes template (line, bar,
scatter), line drawings, microscopy-like textures, gels, heatmaps, and near-blank images. Each original gets
the transformed copies below; every other original is a negative for it (distinct plots on the same
template are the hard negatives). Every image goes through the extract stage's own analysis
(`biomedica_spark.images.analyse.analyse_image`), so the hashes are the ones the pipeline stores.

For each threshold setting it prints pairwise precision and recall per transform: recall over the pairs
(original, its copy); precision over every pair the rule accepts among the originals and that
transform's copies. Near-blank images are exact-only by design (their copies are not sought), but they
stay in as negatives. It also prints the same numbers after clustering (connected components over the
accepted pairs of the whole set), which is what the job produces.
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import os
import sys
import tarfile
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from biomedica_spark.dedup.verify import MatchRule, component_roots  # noqa: E402
from biomedica_spark.images.analyse import analyse_image  # noqa: E402
from biomedica_spark.images.hashing import hamming_matrix  # noqa: E402
from biomedica_spark.images.model import ImageInfo  # noqa: E402
from biomedica_spark.images.normalise import normalise  # noqa: E402
from biomedica_spark.samples.images import ImageSpec, render  # noqa: E402

GOAL_TRANSFORMS = ("resize_0.5", "resize_0.25", "jpeg_q60", "jpeg_q90", "format", "pad_5", "pad_15")
REPORTED_TRANSFORMS = (*GOAL_TRANSFORMS, "crop_3", "grey")
GENERATED = {  # kind -> (samples style, count, width, height, noise, encoding)
    "plot": (("line_plot", "bar_chart", "scatter"), 60, 640, 480, 0, "png"),
    "line_drawing": (("line_drawing",), 30, 600, 450, 0, "png"),
    "texture": (("microscopy", "gel", "heatmap"), 45, 512, 512, 6, "jpeg"),
}
RASTER_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".gif")


@dataclass(frozen=True)
class Setting:
    name: str
    phash64_max: int
    phash256_max: int
    phash256_max_line_art: int
    line_art_max_info_score: float
    min_side: int

    @property
    def rule(self) -> MatchRule:
        return MatchRule(self.phash64_max, self.phash256_max, self.phash256_max_line_art)


def shipped_setting() -> Setting:
    from biomedica_spark.config import load_config

    d = load_config().dedup
    return Setting(
        "default",
        int(d.phash64_max_distance),
        int(d.phash256_max_distance),
        int(d.phash256_max_distance_line_art),
        float(d.line_art_max_info_score),
        int(d.min_side),
    )


def alternatives(default: Setting) -> tuple[Setting, ...]:
    return (
        replace(
            default, name="pHash-64 only (no 256-bit check)", phash256_max=256, phash256_max_line_art=256
        ),
        replace(default, name="no line-art rule", phash256_max_line_art=default.phash256_max),
        replace(default, name="no small-side gate (extract's near-blank flag only)", min_side=0),
        replace(default, name="tighter: k=6", phash64_max=6),
        replace(default, name="looser: k=10", phash64_max=10),
        Setting("loose: k=12, 80/56", 12, 80, 56, default.line_art_max_info_score, default.min_side),
    )


# --- the labelled set ------------------------------------------------------------------------------


@dataclass
class Item:
    family: int
    kind: str  # real_figure, real_table, formula, plot, line_drawing, texture, near_blank
    transform: str  # original or one of REPORTED_TRANSFORMS
    info: ImageInfo


def real_kind(name: str) -> str:
    """PLoS names its graphics by role: g001 figure, t001 table, e001 display formula. The extract stage
    never takes formula graphics as figures, but they are the corpus' closest text-line look-alikes."""
    stem = Path(name).stem
    if stem[:1] in ("e", "t") and stem[1:].isdigit():
        return "formula" if stem[0] == "e" else "real_table"
    return "real_figure"


def corpus_images(corpus: str | None) -> list[tuple[str, bytes]]:
    folder = _corpus_folder(corpus)
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in RASTER_SUFFIXES)
    stems = {(p.parent, p.stem) for p in files if p.suffix.lower() != ".gif"}
    # PMC ships a GIF thumbnail beside each full-size JPEG: that is a near-duplicate, not a new original.
    keep = [p for p in files if p.suffix.lower() != ".gif" or (p.parent, p.stem) not in stems]
    return [(str(p.relative_to(folder)), p.read_bytes()) for p in keep]


def _corpus_folder(corpus: str | None) -> Path:
    for candidate in (corpus, os.environ.get("BIOMEDICA_CORPUS_DIR"), "/tmp/pmc/pmc-real"):
        if candidate and (Path(candidate) / "images").is_dir():
            return Path(candidate) / "images"
    archive = REPO.parent / "shared" / "corpus" / "pmc-real.tar.gz"
    if not archive.is_file():
        raise SystemExit(
            "no corpus: pass --corpus DIR (the unpacked pmc-real folder) or set BIOMEDICA_CORPUS_DIR"
        )
    target = Path(tempfile.mkdtemp(prefix="dedup-eval-"))
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    return target / "pmc-real" / "images"


def generated_images(seed: int) -> list[tuple[str, str, bytes]]:
    out: list[tuple[str, str, bytes]] = []
    for kind, (styles, count, width, height, noise, encoding) in GENERATED.items():
        for i in range(count):
            style = styles[i % len(styles)]
            spec = ImageSpec(
                key=(seed, i, len(out)),
                style=style,
                width=width,
                height=height,
                noise=noise,
                encoding=encoding,
            )
            out.append((kind, f"{style}-{i}", render(spec).data))
    out += [("near_blank", name, data) for name, data in near_blank_images()]
    return out


def near_blank_images() -> list[tuple[str, bytes]]:
    """All-white, one-colour, faint and tiny pictures: they share pHashes and must stay exact-only."""
    pictures: list[tuple[str, Image.Image]] = [
        ("white", Image.new("RGB", (400, 300), "white")),
        ("black", Image.new("RGB", (300, 300), "black")),
        ("grey", Image.new("L", (500, 200), 200)),
        ("blue", Image.new("RGB", (320, 240), (30, 60, 200))),
        ("tiny", Image.new("RGB", (12, 40), (10, 10, 10))),
    ]
    rng = np.random.default_rng(11)
    for i in range(5):
        speck = Image.new("L", (400, 300), 255)
        x, y = (int(v) for v in rng.integers(20, 280, 2))
        speck.paste(0, (x, y, x + 2, y + 2))
        pictures.append((f"speck-{i}", speck))
        faint = np.clip(250 + rng.integers(-3, 4, (300, 400)), 0, 255).astype(np.uint8)
        pictures.append((f"faint-{i}", Image.fromarray(faint, "L")))
    out = []
    for name, picture in pictures:
        buffer = io.BytesIO()
        picture.save(buffer, "PNG")
        out.append((name, buffer.getvalue()))
    return out


def transformed(data: bytes, transform: str) -> bytes:
    with Image.open(io.BytesIO(data)) as opened:
        lossy = opened.format == "JPEG"
        picture = normalise(ImageOps.exif_transpose(opened) or opened).convert("RGB")
    width, height = picture.size
    native = "JPEG" if lossy else "PNG"
    if transform.startswith("resize_"):
        scale = float(transform.split("_")[1])
        picture = picture.resize(
            (max(1, round(width * scale)), max(1, round(height * scale))), Image.Resampling.LANCZOS
        )
        return _save(picture, native, 90)
    if transform.startswith("jpeg_q"):
        return _save(picture, "JPEG", int(transform[len("jpeg_q") :]))
    if transform == "format":
        return _save(picture, "PNG" if lossy else "JPEG", 90)
    if transform.startswith("pad_"):
        border = max(1, round(max(width, height) * int(transform.split("_")[1]) / 100))
        return _save(ImageOps.expand(picture, border=border, fill="white"), native, 90)
    if transform == "crop_3":
        dx, dy = round(width * 0.015), round(height * 0.015)
        return _save(picture.crop((dx, dy, width - dx, height - dy)), native, 90)
    if transform == "grey":
        return _save(picture.convert("L"), native, 90)
    raise ValueError(transform)


def _save(picture: Image.Image, fmt: str, quality: int) -> bytes:
    buffer = io.BytesIO()
    if fmt == "JPEG":
        picture.save(buffer, "JPEG", quality=quality)
    else:
        picture.save(buffer, "PNG")
    return buffer.getvalue()


def build_items(corpus: str | None, seed: int) -> list[Item]:
    originals = [(real_kind(name), name, data) for name, data in corpus_images(corpus)] + generated_images(
        seed
    )
    items: list[Item] = []
    for family, (kind, _name, data) in enumerate(originals):
        for transform in ("original", *REPORTED_TRANSFORMS):
            payload = data if transform == "original" else transformed(data, transform)
            info = analyse_image(payload)
            if isinstance(info, ImageInfo):
                items.append(Item(family, kind, transform, info))
    return items


# --- metrics -------------------------------------------------------------------------------------------


@dataclass
class Distances:
    d64: np.ndarray
    d256: np.ndarray
    same_bytes: np.ndarray
    near_blank: np.ndarray
    min_side: np.ndarray
    info: np.ndarray

    def gated(self, setting: Setting) -> np.ndarray:
        return self.near_blank | (self.min_side < setting.min_side)


def distances(items: list[Item]) -> Distances:
    h64 = np.array([i.info.phash64 for i in items], dtype=np.int64)
    h256 = np.frombuffer(b"".join(i.info.phash256 for i in items), dtype=">i8").reshape(-1, 4)
    d256 = np.vstack([hamming_matrix(h256[start : start + 256], h256) for start in range(0, len(items), 256)])
    shas = np.array([i.info.sha256 for i in items])
    return Distances(
        d64=hamming_matrix(h64, h64),
        d256=d256,
        same_bytes=shas[:, None] == shas[None, :],
        near_blank=np.array([i.info.is_near_blank for i in items]),
        min_side=np.array([min(i.info.trimmed_width, i.info.trimmed_height) for i in items]),
        info=np.array([i.info.info_score for i in items]),
    )


def accepted(dist: Distances, setting: Setting) -> np.ndarray:
    """The job's pair decision for every pair of items (exact bytes always; gated images nothing else)."""
    line_art = dist.info <= setting.line_art_max_info_score
    rule = setting.rule
    perceptual = rule.accepts(dist.d64, dist.d256, line_art[:, None] | line_art[None, :])
    gated = dist.gated(setting)
    open_ = ~gated[:, None] & ~gated[None, :]
    return dist.same_bytes | (perceptual & open_)


def clustered(decision: np.ndarray) -> np.ndarray:
    left, right = np.nonzero(np.triu(decision, k=1))
    roots = component_roots(len(decision), left, right)
    return roots[:, None] == roots[None, :]


NOT_SOUGHT = (
    "near_blank",
    "formula",
)  # exact-only by design; formula graphics are never extracted as figures


def open_families(items: list[Item], dist: Distances, setting: Setting) -> np.ndarray:
    """Per item: is its original left open to near-duplicate matching (not gated as near-blank/small)?"""
    gated = dist.gated(setting)
    open_family = {i.family for n, i in enumerate(items) if i.transform == "original" and not gated[n]}
    return np.array([i.family in open_family for i in items])


def sought(items: list[Item], dist: Distances, setting: Setting) -> np.ndarray:
    """Per item: is its family one whose copies the dedup must find? Not when its original is gated
    (exact bytes only, by design) nor for the kinds in NOT_SOUGHT; those stay in as negatives."""
    return open_families(items, dist, setting) & np.array([i.kind not in NOT_SOUGHT for i in items])


def per_transform(items: list[Item], together: np.ndarray, wanted: np.ndarray) -> dict[str, dict[str, float]]:
    family = np.array([i.family for i in items])
    transform = np.array([i.transform for i in items])
    is_original = transform == "original"
    original_of = {i.family: index for index, i in enumerate(items) if i.transform == "original"}
    out: dict[str, dict[str, float]] = {}
    for name in REPORTED_TRANSFORMS:
        copies = [c for c in np.flatnonzero((transform == name) & wanted) if family[c] in original_of]
        found = sum(bool(together[c, original_of[family[c]]]) for c in copies)
        # Precision over the accepted pairs that involve a copy made by this transform, among the
        # originals and those copies (pairs of two originals are shared by every transform: see below).
        scope = np.flatnonzero(is_original | (transform == name))
        accepted_pairs = np.triu(together[np.ix_(scope, scope)], k=1)
        has_copy = (transform[scope] == name)[:, None] | (transform[scope] == name)[None, :]
        same = family[scope][:, None] == family[scope][None, :]
        true_pairs = int((accepted_pairs & has_copy & same).sum())
        false_pairs = int((accepted_pairs & has_copy & ~same).sum())
        out[name] = {
            "recall": found / len(copies) if copies else float("nan"),
            "precision": true_pairs / (true_pairs + false_pairs) if true_pairs + false_pairs else 1.0,
            "copies": len(copies),
            "false_pairs": false_pairs,
        }
    originals = np.flatnonzero(is_original)
    out["originals"] = {
        "false_pairs": int(np.triu(together[np.ix_(originals, originals)], k=1).sum()),
        "originals": len(originals),
        "sought": int(wanted[originals].sum()),
    }
    return out


def overall(items: list[Item], together: np.ndarray, wanted: np.ndarray) -> dict[str, float]:
    """Every pair of the whole set: positives are pairs within a sought family."""
    family = np.array([i.family for i in items])
    same = family[:, None] == family[None, :]
    upper = np.triu(np.ones(together.shape, dtype=bool), k=1)
    positives = same & upper & wanted[:, None]
    tp = int((together & positives).sum())
    fp = int((together & ~same & upper).sum())
    return {
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / int(positives.sum()),
        "false_pairs": fp,
    }


def by_kind(items: list[Item], together: np.ndarray, wanted: np.ndarray) -> dict[str, float]:
    """Recall over the goal transforms, per kind of original (every kind, open originals only)."""
    original_of = {i.family: index for index, i in enumerate(items) if i.transform == "original"}
    out: dict[str, float] = {}
    for kind in sorted({i.kind for i in items}):
        copies = [
            n for n, i in enumerate(items) if i.kind == kind and i.transform in GOAL_TRANSFORMS and wanted[n]
        ]
        hits = [bool(together[n, original_of[items[n].family]]) for n in copies]
        if hits:
            out[kind] = round(sum(hits) / len(hits), 4)
    return out


def recall_by_kind_and_transform(
    items: list[Item], together: np.ndarray, wanted: np.ndarray
) -> dict[str, dict[str, float]]:
    original_of = {i.family: index for index, i in enumerate(items) if i.transform == "original"}
    out: dict[str, dict[str, float]] = {}
    for kind in sorted({i.kind for i in items}):
        row = {}
        for name in REPORTED_TRANSFORMS:
            copies = [n for n, i in enumerate(items) if i.kind == kind and i.transform == name and wanted[n]]
            if copies:
                row[name] = round(
                    sum(bool(together[n, original_of[items[n].family]]) for n in copies) / len(copies), 3
                )
        if row:
            out[kind] = row
    return out


def hard_negative_profile(items: list[Item], dist: Distances) -> dict[str, dict[str, float]]:
    """Distances between distinct originals of one kind: how close unrelated figures come."""
    out: dict[str, dict[str, float]] = {}
    for kind in sorted({i.kind for i in items}):
        index = np.array([n for n, i in enumerate(items) if i.kind == kind and i.transform == "original"])
        if len(index) < 2:
            continue
        rows, cols = np.triu_indices(len(index), k=1)
        d64 = dist.d64[index[rows], index[cols]].astype(int)
        d256 = dist.d256[index[rows], index[cols]].astype(int)
        out[kind] = {
            "pairs": len(rows),
            "min_d64": int(d64.min()),
            "pairs_d64_le_10": int((d64 <= 10).sum()),
            "min_d256": int(d256.min()),
            "min_d256_where_d64_le_10": int(d256[d64 <= 10].min()) if (d64 <= 10).any() else None,
            "info_score_median": round(float(np.median(dist.info[index])), 3),
        }
    return out


def copy_distance_profile(
    items: list[Item], dist: Distances, wanted: np.ndarray
) -> dict[str, dict[str, float]]:
    """Distances from each sought original to its copies, per transform (the recall side)."""
    original_of = {i.family: index for index, i in enumerate(items) if i.transform == "original"}
    out: dict[str, dict[str, float]] = {}
    for name in REPORTED_TRANSFORMS:
        pairs = [(n, original_of[i.family]) for n, i in enumerate(items) if i.transform == name and wanted[n]]
        d64 = np.array([dist.d64[a, b] for a, b in pairs], dtype=int)
        d256 = np.array([dist.d256[a, b] for a, b in pairs], dtype=int)
        out[name] = {
            "p50_d64": float(np.percentile(d64, 50)),
            "p95_d64": float(np.percentile(d64, 95)),
            "max_d64": int(d64.max()),
            "p50_d256": float(np.percentile(d256, 50)),
            "p95_d256": float(np.percentile(d256, 95)),
            "max_d256": int(d256.max()),
        }
    return out


def summary(items: list[Item], dist: Distances, setting: Setting) -> dict[str, object]:
    wanted = sought(items, dist, setting)
    metrics = per_transform(items, accepted(dist, setting), wanted)
    return {
        **{
            f: getattr(setting, f)
            for f in (
                "phash64_max",
                "phash256_max",
                "phash256_max_line_art",
                "line_art_max_info_score",
                "min_side",
            )
        },
        "goal_min_recall": round(min(metrics[t]["recall"] for t in GOAL_TRANSFORMS), 4),
        "goal_min_precision": round(min(metrics[t]["precision"] for t in GOAL_TRANSFORMS), 4),
        "originals_false_pairs": metrics["originals"]["false_pairs"],
        "originals_sought": metrics["originals"]["sought"],
    }


def grid(items: list[Item], dist: Distances, default: Setting) -> list[dict[str, object]]:
    rows = []
    for k, t256, t_line, cut, side in itertools.product(
        (4, 6, 8, 10, 12), (48, 56, 64, 72, 80), (32, 40, 48, 56, 64), (0.0, 0.1, 0.25), (0, 24, 32)
    ):
        if t_line <= t256:
            rows.append(summary(items, dist, Setting("grid", k, t256, t_line, cut, side)))
    return rows


# --- report --------------------------------------------------------------------------------------------


def evaluate(items: list[Item], dist: Distances, setting: Setting, cluster: bool) -> dict[str, object]:
    wanted = sought(items, dist, setting)
    decision = accepted(dist, setting)
    together = clustered(decision) if cluster else decision
    return {
        "setting": asdict(setting),
        "per_transform": per_transform(items, together, wanted),
        "overall": overall(items, together, wanted),
        "recall_by_kind": by_kind(items, together, open_families(items, dist, setting)),
    }


def print_evaluation(title: str, evaluation: dict[str, object]) -> None:
    metrics: dict[str, dict[str, float]] = evaluation["per_transform"]  # type: ignore[assignment]
    all_: dict[str, float] = evaluation["overall"]  # type: ignore[assignment]
    print(f"\n{title}")
    print(f"  {'transform':<12} {'recall':>8} {'precision':>10} {'copies':>7} {'false pairs':>12}")
    for name in REPORTED_TRANSFORMS:
        m = metrics[name]
        goal = "" if name in GOAL_TRANSFORMS else "   (reported, no goal)"
        print(
            f"  {name:<12} {m['recall']:>8.3f} {m['precision']:>10.4f} {m['copies']:>7} "
            f"{m['false_pairs']:>12}{goal}"
        )
    o = metrics["originals"]
    print(
        f"  {'originals':<12} {o['false_pairs']} false pairs among {o['originals']} distinct originals "
        f"({o['sought']} not gated)"
    )
    print(
        f"  {'all pairs':<12} {all_['recall']:>8.3f} {all_['precision']:>10.4f} {'':>7} "
        f"{all_['false_pairs']:>12}"
    )
    print(f"  recall on the goal transforms by kind of original: {evaluation['recall_by_kind']}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--corpus", help="the unpacked pmc-real folder (holding images/)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", default=str(REPO / "bench" / "results" / "dedup_eval.json"))
    args = parser.parse_args(argv)

    started = time.perf_counter()
    items = build_items(args.corpus, args.seed)
    dist = distances(items)
    kinds = {
        k: sum(1 for i in items if i.kind == k and i.transform == "original")
        for k in sorted({i.kind for i in items})
    }
    print(
        f"labelled set: {len(items)} images; originals by kind {kinds}; {len(REPORTED_TRANSFORMS)} "
        "transformed copies of each; built and hashed with the extract stage's analysis in "
        f"{time.perf_counter() - started:.1f} s"
    )

    default = shipped_setting()
    evaluations = []
    for setting in (default, *alternatives(default)):
        evaluations.append(evaluate(items, dist, setting, cluster=False))
        print_evaluation(f"pairwise, {setting.name}: {asdict(setting)}", evaluations[-1])
    clustered_default = evaluate(items, dist, default, cluster=True)
    print_evaluation(
        "default, after clustering (connected components over all accepted pairs)", clustered_default
    )
    breakdown = recall_by_kind_and_transform(items, accepted(dist, default), sought(items, dist, default))
    print("\ndefault, pairwise recall by kind of original and transform:")
    print(f"  {'kind':<13}" + "".join(f"{name:>12}" for name in REPORTED_TRANSFORMS))
    for kind, row in breakdown.items():
        print(
            f"  {kind:<13}" + "".join(f"{row.get(name, float('nan')):>12.3f}" for name in REPORTED_TRANSFORMS)
        )

    hard = hard_negative_profile(items, dist)
    copies = copy_distance_profile(items, dist, sought(items, dist, default))
    sweep = [
        summary(items, dist, replace(default, line_art_max_info_score=cut))
        for cut in (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.35, 0.5)
    ]
    table = grid(items, dist, default)
    print("\nhard negatives (distinct originals of one kind):")
    for kind, row in hard.items():
        print(f"  {kind:<13} {row}")
    print("\noriginal -> copy distances (families the default seeks):")
    for name, row in copies.items():
        print(f"  {name:<12} {row}")
    print("\nline-art cut (info_score) at the default thresholds:")
    for row in sweep:
        print(f"  {row}")
    passing = [
        r for r in table if float(r["goal_min_recall"]) >= 0.95 and float(r["goal_min_precision"]) >= 0.995
    ]  # type: ignore[arg-type]
    print(
        f"\ngrid: {len(passing)} of {len(table)} settings reach recall >= 0.95 and precision >= 0.995 "
        "on every goal "
        "transform; best recall first:"
    )
    for row in sorted(passing, key=lambda r: (-float(r["goal_min_recall"]), r["phash64_max"]))[:15]:  # type: ignore[arg-type]
        print(f"  {row}")
    best = sorted(
        table, key=lambda r: (-min(float(r["goal_min_recall"]), 1.0) - float(r["goal_min_precision"]))
    )[:8]  # type: ignore[arg-type]
    print("grid, best recall + precision sums:")
    for row in best:
        print(f"  {row}")

    results = {
        "items": len(items),
        "originals_by_kind": kinds,
        "evaluations": evaluations,
        "clustered_default": clustered_default,
        "default_recall_by_kind": breakdown,
        "hard_negatives": hard,
        "copy_distances": copies,
        "line_art_sweep": sweep,
        "grid": table,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1, default=float))
    print(f"\nwritten {args.out} in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
