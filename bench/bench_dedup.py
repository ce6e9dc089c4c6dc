"""Scale benchmark of the dedup job on synthetic perceptual hashes, on local[2].

    .venv/bin/python bench/bench_dedup.py [--sizes 250000,500000,1000000] [--sample 20000] [--workdir DIR]

For each size it writes an `images` table of synthetic rows (no bytes; 64-bit and 256-bit hashes only) and
times one full `run_dedup` from its first read to the `runs` commit (session start and one untimed
warm-up run on 20,000 images excluded):
- planted near-duplicate clusters (15% of the images, 2-5 members each, every member a few bits off its
  cluster's base on both hashes, so members are also chained through the base),
- skew: one group of 50,000 images with identical hashes (the near-blank case with the gate defeated:
  they are flagged not near-blank so that they go through banding), and one hot bucket of 20,000
  unrelated hashes that agree on one band block (the tiling path),
- the rest uniformly random.
It prints wall times, the growth ratio t(1M) / t(250k), then checks recall against brute force: on a
sample of 20,000 images (planted clusters included) the job's clusters are compared with the connected
components of every pair that passes the configured rule, found by comparing all pairs.
Results go to bench/results/bench_dedup.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from biomedica_spark.dedup.banding import block_masks, to_signed  # noqa: E402
from biomedica_spark.dedup.verify import component_roots, hamming256_pairs  # noqa: E402
from biomedica_spark.images.hashing import hamming_matrix  # noqa: E402

SKEW_IDENTICAL = 50_000
HOT_BUCKET = 20_000
PLANTED_SHARE = 0.15


def synthetic_images(
    n: int, phash64_max: int, seed: int, identical: int = SKEW_IDENTICAL, hot_bucket: int = HOT_BUCKET
) -> dict[str, np.ndarray]:
    """Columns of n synthetic `images` rows; `family` labels the planted structure (-1 = none)."""
    rng = np.random.default_rng(seed)
    h64 = rng.integers(-(2**63), 2**63 - 1, size=n, dtype=np.int64, endpoint=True)
    h256 = rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
    family = np.full(n, -1, dtype=np.int64)
    # Skew 1: identical hashes.
    h64[:identical] = h64[0]
    h256[:identical] = h256[0]
    family[:identical] = 0
    position = identical
    # Skew 2: a hot bucket (one band block shared, everything else random).
    mask = np.int64(block_masks(phash64_max)[0])
    hot = slice(position, position + hot_bucket)
    h64[hot] = (h64[hot] & ~mask) | (np.int64(0x5A5A5A5A5A5A5A5A) & mask)
    position += hot_bucket
    # Planted clusters: members a few bits off the cluster's base (the first member).
    next_family = 1
    planted_end = position + int(n * PLANTED_SHARE)
    while position < planted_end:
        size = int(rng.integers(2, 6))
        members = slice(position, min(position + size, planted_end))
        count = members.stop - members.start
        base64, base256 = h64[members.start], h256[members.start].copy()
        for offset in range(1, count):
            row = members.start + offset
            bits = rng.choice(64, size=int(rng.integers(0, phash64_max // 2 + 1)), replace=False)
            h64[row] = base64 ^ np.int64(to_signed(sum(1 << int(bit) for bit in bits)))
            flipped = base256.copy()
            for bit in rng.choice(256, size=int(rng.integers(0, 21)), replace=False):
                flipped[bit // 8] ^= np.uint8(0x80 >> (bit % 8))
            h256[row] = flipped
        family[members] = next_family
        next_family += 1
        position = members.stop
    order = rng.permutation(n)  # spread the structure over the table
    return {
        "image_sha256": np.array([f"{i:064x}" for i in range(n)]),
        "phash64": h64[order],
        "phash256": h256[order],
        "info_score": rng.uniform(0.0, 1.0, size=n)[order],
        "family": family[order],
    }


def write_images(spark, lake, columns: dict[str, np.ndarray], folder: Path) -> None:  # type: ignore[no-untyped-def]
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pyspark.sql import functions as F

    from biomedica_spark.lake.schemas import ddl

    n = len(columns["image_sha256"])
    table = pa.table(
        {
            "image_sha256": pa.array(columns["image_sha256"]),
            "phash64": pa.array(columns["phash64"]),
            "phash256": pa.array([bytes(row) for row in columns["phash256"]], type=pa.binary()),
            "info_score": pa.array(columns["info_score"]),
            "is_near_blank": pa.array(np.zeros(n, dtype=bool)),
            "trimmed_width": pa.array(np.full(n, 640, dtype=np.int32)),
            "trimmed_height": pa.array(np.full(n, 480, dtype=np.int32)),
        }
    )
    path = folder / "images.parquet"
    pq.write_table(table, path)
    staged = spark.read.parquet(str(path))
    schema = spark.createDataFrame([], ddl("images")).schema
    lake.ensure(["images"])
    lake.append(
        "images",
        staged.select(
            *[
                (F.col(f.name) if f.name in table.column_names else F.lit(None))
                .cast(f.dataType)
                .alias(f.name)
                for f in schema.fields
            ]
        ),
    )


def run_size(
    n: int, workdir: Path, seed: int, label: str = "", **skew: int
) -> tuple[dict[str, object], dict[str, np.ndarray]]:
    from biomedica_spark.config import load_config
    from biomedica_spark.dedup.job import run_dedup
    from biomedica_spark.lake.delta_io import Lake
    from biomedica_spark.lake.session import get_spark

    root = workdir / f"lake-{n}"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    cfg = load_config(["spark.master='local[2]'", f"lake.root={root}"])
    spark = get_spark(cfg)
    columns = synthetic_images(n, int(cfg.dedup.phash64_max_distance), seed, **skew)
    write_images(spark, Lake(spark, cfg), columns, root)
    started = time.perf_counter()
    result = run_dedup(spark, cfg)
    seconds = time.perf_counter() - started
    counts = result.report["counts"]
    row = {
        "images": n,
        "seconds": round(seconds, 1),
        "verified_pairs": counts["verified_edges"],
        "near_duplicate_clusters": counts["near_duplicate_clusters"],
        "images_in_near_duplicate_clusters": counts["images_in_near_duplicate_clusters"],
        "largest_cluster": result.report["largest_clusters"][0]["size"]
        if result.report["largest_clusters"]
        else 0,
    }
    print(f"  {n:>9,} images: {seconds:7.1f} s  {row}{label}", flush=True)
    return row, columns


def brute_force_recall(
    columns: dict[str, np.ndarray], sample: int, workdir: Path, seed: int
) -> dict[str, object]:
    """Run the job on a sample, then compare its clusters with all-pairs connected components."""
    from biomedica_spark.config import load_config
    from biomedica_spark.dedup.job import run_dedup, settings_from_config
    from biomedica_spark.lake.delta_io import Lake
    from biomedica_spark.lake.session import get_spark

    rng = np.random.default_rng(seed)
    planted = np.flatnonzero(columns["family"] > 0)
    planted = planted[np.argsort(columns["family"][planted], kind="stable")]  # whole families first
    others = np.flatnonzero(columns["family"] <= 0)
    take = np.concatenate(
        [
            planted[: sample // 4],
            rng.choice(others, size=sample - min(len(planted), sample // 4), replace=False),
        ]
    )
    subset = {name: values[take] for name, values in columns.items()}

    root = workdir / f"lake-sample-{sample}"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    cfg = load_config(["spark.master='local[2]'", f"lake.root={root}"])
    spark = get_spark(cfg)
    lake = Lake(spark, cfg)
    write_images(spark, lake, subset, root)
    run_dedup(spark, cfg)
    job_cluster = {
        r["image_sha256"]: r["cluster_id"]
        for r in lake.read("image_clusters").select("image_sha256", "cluster_id").collect()
    }

    settings = settings_from_config(cfg)
    rule = settings.rule
    line_art = subset["info_score"] <= settings.line_art_max_info_score
    h64, h256 = subset["phash64"], subset["phash256"]
    left_parts, right_parts = [], []
    for start in range(0, len(h64), 1024):
        d64 = hamming_matrix(h64[start : start + 1024], h64)
        rows, cols = np.nonzero(d64 <= rule.phash64_max)
        keep = rows + start < cols
        rows, cols = rows[keep], cols[keep]
        for part in range(0, len(rows), 200_000):
            r, c = rows[part : part + 200_000], cols[part : part + 200_000]
            ok = rule.accepts(
                d64[r, c], hamming256_pairs(h256[r + start], h256[c]), line_art[r + start] | line_art[c]
            )
            left_parts.append(r[ok] + start)
            right_parts.append(c[ok])
    left, right = np.concatenate(left_parts), np.concatenate(right_parts)
    truth = component_roots(len(h64), left, right)
    shas = subset["image_sha256"]
    _, job = np.unique(np.array([job_cluster[s] for s in shas]), return_inverse=True)

    def pairs_together(*labels: np.ndarray) -> int:
        _, counts = np.unique(np.stack(labels, axis=1), axis=0, return_counts=True)
        return int((counts * (counts - 1) // 2).sum())

    same_truth, same_job, both = pairs_together(truth), pairs_together(job), pairs_together(truth, job)
    # The same without the identical-hash group, whose clique would otherwise dominate the pair counts.
    rest = subset["family"] != 0
    rest_truth, rest_both = pairs_together(truth[rest]), pairs_together(truth[rest], job[rest])
    return {
        "sample": len(shas),
        "verified_pairs_brute_force": len(left),
        "pairs_together_brute_force": same_truth,
        "pairs_together_job": same_job,
        "recall": both / same_truth if same_truth else 1.0,
        "precision": both / same_job if same_job else 1.0,
        "pairs_together_brute_force_without_identical_group": rest_truth,
        "recall_without_identical_group": rest_both / rest_truth if rest_truth else 1.0,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sizes", default="250000,500000,1000000")
    parser.add_argument("--sample", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--workdir", help="scratch folder for the lakes (default: a temporary folder)")
    parser.add_argument("--out", default=str(REPO / "bench" / "results" / "bench_dedup.json"))
    args = parser.parse_args(argv)

    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="bench-dedup-"))
    sizes = [int(s) for s in args.sizes.split(",")]
    from biomedica_spark.config import load_config

    dedup_cfg = dict(load_config().dedup)
    print(f"dedup scale benchmark on local[2], config {dedup_cfg}")
    # Warm-up (untimed): JVM JIT, Python workers and Delta's first commits would otherwise land on the
    # smallest size and flatter the growth ratio.
    run_size(
        20_000, workdir, args.seed + 1, label="  (warm-up, not counted)", identical=2_000, hot_bucket=1_000
    )
    rows = []
    first_columns = None
    for n in sizes:
        row, columns = run_size(n, workdir, args.seed)
        rows.append(row)
        first_columns = first_columns if first_columns is not None else columns
    growth = rows[-1]["seconds"] / rows[0]["seconds"]  # type: ignore[operator]
    print(
        f"growth: {sizes[-1]:,} images took {growth:.2f}x the time of {sizes[0]:,} "
        f"({sizes[-1] / sizes[0]:.0f}x the images; goal <= 4.6x)"
    )
    assert first_columns is not None
    recall = brute_force_recall(first_columns, args.sample, workdir, args.seed)
    print(f"recall against brute force on {recall['sample']:,} images: {recall}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(
        json.dumps(
            {"config": dedup_cfg, "sizes": rows, "growth": growth, "brute_force": recall},
            indent=1,
            default=str,
        )
    )
    shutil.rmtree(workdir, ignore_errors=True)
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
