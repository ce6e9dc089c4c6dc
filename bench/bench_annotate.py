"""Benchmark of the annotate job's default embedder on figures of six known types, on local[2].

    .venv/bin/python bench/bench_annotate.py [--per-type 100] [--side 512] [--k 6] [--pca 10] [--seed 42]

It writes a lake holding `images`, `image_clusters` (every image its own representative) and `pairs`
(one captioned pair per image) for `per_type` synthetic figures of each type in
`biomedica_spark.annotate.synthetic` (plots, microscopy-like, radiology-like, diagrams, chemical
structures, photo-like; captions from the same module, a quarter of them uninformative), then runs the
job's steps as a user would:
- embed: timed from the step's start to its `runs` commit; throughput = representatives / second;
  beside it the descriptor alone in the driver process (one core, no Spark), the floor per core,
- cluster: StandardScaler + PCA + seeded k-means; purity and adjusted Rand index of the clusters
  against the known types, and of a seeded random assignment with the same k,
- propagate: caption suggestions per cluster; accuracy = share of clusters whose suggested global
  concept is the concept of the cluster's majority type, and share of images whose pair received
  that concept with source `caption`; plus the scorer's accuracy on single captions.
Results go to bench/results/bench_annotate.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from biomedica_spark.annotate.captions import CaptionScorer  # noqa: E402
from biomedica_spark.annotate.embedders import make_embedder, resolve_spec  # noqa: E402
from biomedica_spark.annotate.metrics import adjusted_rand_index, purity  # noqa: E402
from biomedica_spark.annotate.synthetic import TYPE_CONCEPT, KnownFigure, known_figures  # noqa: E402
from biomedica_spark.annotate.taxonomy import load_taxonomy  # noqa: E402


def write_lake(spark, lake, figures: list[KnownFigure]) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """images, image_clusters and pairs rows for the figures; returns sha256 -> known type."""
    import hashlib

    from biomedica_spark.lake.schemas import ddl

    truth: dict[str, str] = {}
    images, clusters, pairs = [], [], []
    for index, figure in enumerate(figures):
        sha = hashlib.sha256(figure.data).hexdigest()
        truth[sha] = figure.known_type
        images.append({"image_sha256": sha, "image_bytes": figure.data, "first_source_path": "bench"})
        clusters.append(
            {"image_sha256": sha, "cluster_id": sha, "cluster_size": 1, "representative_sha256": sha}
        )
        pairs.append(
            {
                "pair_key": f"bench-{index}",
                "article_key": f"PMC{index}",
                "ordinal": 1,
                "image_sha256": sha,
                "cluster_id": sha,
                "caption": figure.caption,
                "is_canonical": True,
                "global_concepts": [],
                "local_concepts": [],
            }
        )
    for table, rows in (("images", images), ("image_clusters", clusters), ("pairs", pairs)):
        schema = spark.createDataFrame([], ddl(table)).schema
        data = [{f.name: row.get(f.name) for f in schema.fields} for row in rows]
        lake.append(table, spark.createDataFrame(data, schema).repartition(4))
    return truth


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--per-type", type=int, default=100)
    parser.add_argument("--side", type=int, default=512, help="nominal picture side in pixels")
    parser.add_argument("--k", type=int, default=6)
    parser.add_argument("--pca", type=int, default=10)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()

    from biomedica_spark.annotate.job import run_annotate
    from biomedica_spark.config import load_config
    from biomedica_spark.lake.delta_io import Lake
    from biomedica_spark.lake.session import get_spark

    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench_annotate_"))
    shutil.rmtree(work / "lake", ignore_errors=True)
    overrides = [
        f"lake.root={work / 'lake'}",
        "spark.master='local[2]'",
        f"annotate.k={args.k}",
        f"annotate.pca_components={args.pca}",
        f"annotate.seed={args.seed}",
        f"annotate.sheets.dir={work / 'sheets'}",
    ]
    started = time.perf_counter()
    figures = known_figures(args.per_type, seed=args.seed, side=args.side)
    generated_s = time.perf_counter() - started
    # The floor without Spark: the descriptor alone in this one process (one core).
    embedder = make_embedder(resolve_spec("handcrafted"))
    started = time.perf_counter()
    embedder.embed([f.data for f in figures])
    descriptor_per_s = len(figures) / (time.perf_counter() - started)
    spark = get_spark(load_config(overrides))
    lake = Lake(spark, load_config(overrides))
    lake.ensure(["images", "image_clusters", "pairs"])
    truth = write_lake(spark, lake, figures)

    timings: dict[str, float] = {}
    results = {}
    for step in ("embed", "cluster", "propagate"):
        started = time.perf_counter()
        [results[step]] = run_annotate(spark, load_config([*overrides, f"annotate.step={step}"]))
        timings[step] = time.perf_counter() - started
    version = results["cluster"].model_version

    assignments = {
        r["image_sha256"]: r["cluster_label_id"]
        for r in lake.read("concept_clusters").where(f"model_version = '{version}'").collect()
    }
    shas = sorted(assignments)
    known = [truth[s] for s in shas]
    predicted = [assignments[s] for s in shas]
    random_assignment = np.random.default_rng(args.seed).integers(0, args.k, len(shas)).tolist()

    members: dict[int, Counter[str]] = {}
    for known_type, cluster in zip(known, predicted, strict=True):
        members.setdefault(cluster, Counter())[known_type] += 1
    majority = {cluster: counts.most_common(1)[0][0] for cluster, counts in members.items()}
    suggestions = {
        r["cluster_label_id"]: list(r["global_concepts"])
        for r in lake.read("caption_suggestions").where(f"model_version = '{version}'").collect()
    }
    cluster_hits = sum(suggestions.get(c, [None])[:1] == [TYPE_CONCEPT[t]] for c, t in majority.items())
    pairs = lake.read("pairs").select("image_sha256", "global_concepts", "concept_source").collect()
    image_hits = sum(
        p["concept_source"] == "caption"
        and p["global_concepts"][:1] == [TYPE_CONCEPT[truth[p["image_sha256"]]]]
        for p in pairs
    )
    scorer = CaptionScorer(load_taxonomy())
    single_hits = sum(
        scorer.suggest([f.caption]).global_concepts[:1] == (TYPE_CONCEPT[f.known_type],) for f in figures
    )

    report = {
        "images": len(figures),
        "per_type": args.per_type,
        "side": args.side,
        "k": args.k,
        "pca_components": args.pca,
        "seed": args.seed,
        "embedder": "handcrafted",
        "generate_s": round(generated_s, 2),
        "step_s": {k: round(v, 2) for k, v in timings.items()},
        "embed_images_per_s": round(results["embed"].counts["embedded"] / timings["embed"], 1),
        "descriptor_one_core_images_per_s": round(descriptor_per_s, 1),
        "purity": round(purity(known, predicted), 4),
        "ari": round(adjusted_rand_index(known, predicted), 4),
        "random_purity": round(purity(known, random_assignment), 4),
        "random_ari": round(adjusted_rand_index(known, random_assignment), 4),
        "cluster_sizes_by_type": {str(c): dict(members[c]) for c in sorted(members)},
        "caption_cluster_accuracy": round(cluster_hits / len(majority), 4),
        "caption_image_accuracy": round(image_hits / len(pairs), 4),
        "caption_single_accuracy": round(single_hits / len(figures), 4),
        "propagate_counts": results["propagate"].counts,
    }
    out = REPO / "bench" / "results" / "bench_annotate.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, sort_keys=True), encoding="utf-8")
    print(
        f"annotate bench: {report['images']} images ({args.per_type} per type, ~{args.side}px), "
        f"k={args.k}, pca={args.pca}, seed={args.seed}\n"
        f"  embed: {timings['embed']:.1f} s, {report['embed_images_per_s']} images/s on local[2] "
        f"(the descriptor alone, one core, no Spark: {report['descriptor_one_core_images_per_s']} images/s)\n"
        f"  clusters vs known types: purity {report['purity']:.3f}, ARI {report['ari']:.3f} "
        f"(random assignment: purity {report['random_purity']:.3f}, ARI {report['random_ari']:.3f})\n"
        f"  caption suggestions: {report['caption_cluster_accuracy']:.3f} of clusters, "
        f"{report['caption_image_accuracy']:.3f} of images labelled right (source caption); "
        f"single captions {report['caption_single_accuracy']:.3f}\n"
        f"  results: {out}"
    )
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
